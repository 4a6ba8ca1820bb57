"""The platform plugin API, version 1: what a package brings to add a platform to the gateway.

A plugin is a Python distribution with an entry point in the group `analytics_gateway.platforms`
naming a `Platform`:

    [project.entry-points."analytics_gateway.platforms"]
    sendgrid = "gateway_sendgrid:PLATFORM"

The `Platform` says what the platform is (name, version, the package providing it), which graph
fields it answers and with which arguments (`Answers`; the graph refuses the rest itself, before
calling it), the model of its table in the sources file (an `UpstreamSource` with its own fields
added), how to build its adapter over the gateway's shared upstream client (deadline, retries,
breaker, single flight, body cap, tracing, metrics: the adapter calls `client.get` and
re-implements none of it), and, if it sends webhooks, their shapes and signature check.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import get_type_hints

from gateway.config.sources import AREAS, UpstreamSource
from gateway.domain.email import DAILY_FIGURES
from gateway.domain.platform_events import WebhookShapes
from gateway.providers.upstream.base import UpstreamProvider
from gateway.providers.upstream.http import UpstreamClient

__all__ = [
    "API_VERSION",
    "ENTRY_POINTS",
    "FIELDS",
    "Answers",
    "Credentials",
    "GraphField",
    "Platform",
    "ProviderFactory",
]

API_VERSION = 1
ENTRY_POINTS = "analytics_gateway.platforms"


@dataclass(frozen=True)
class GraphField:
    """A field of the graph that a platform may answer: its coordinate, the area a tenant
    routes it by, and the arguments that change what is asked."""

    coordinate: str
    area: str
    # The UpstreamProvider methods that answer it: what a plugin declaring it overrides.
    methods: tuple[str, ...]
    arguments: tuple[str, ...] = ()
    # The figures of a window a platform may declare it counts within one day only.
    daily_figures: tuple[str, ...] = ()


# Every field an upstream platform can answer, by area; the capability matrix's rows.
FIELDS: tuple[GraphField, ...] = (
    GraphField("WhatsAppNumber.dashboard", "numbers", ("load_dashboards",), ("period", "timezone")),
    GraphField(
        "Query.deliveryByChannel/whatsapp",
        "numbers",
        ("load_whatsapp_daily",),
        ("startDate", "timezone"),
    ),
    GraphField("SmsAnalytics.overview", "sms", ("load_sms_overviews",), ("startDate", "endDate")),
    GraphField("SmsAnalytics.trends", "sms", ("load_sms_trends",), ("startDate", "timezone")),
    GraphField("SmsAnalytics.topCampaigns", "sms", ("load_top_campaigns",), ("startDate", "limit")),
    GraphField(
        "SmsAnalytics.bestSendTimes", "sms", ("load_best_send_times",), ("startDate", "timezone")
    ),
    GraphField(
        "SmsAnalytics.campaignExport", "sms", ("load_campaign_exports",), ("startDate", "endDate")
    ),
    GraphField("Query.campaign/sms", "sms", ("load_campaigns",)),
    GraphField("SmsCampaign.messages", "sms", ("load_sms_counts",)),
    GraphField("Query.campaigns", "sms", ("page_campaigns", "count_campaigns")),
    GraphField("Query.billing", "sms", ("load_billing",)),
    GraphField("Query.creditBalance", "sms", ("load_credit_balances",)),
    GraphField(
        "EmailReports.dashboard",
        "email",
        ("load_email_dashboards",),
        ("pastDays", "timezone"),
        tuple(DAILY_FIGURES),
    ),
    GraphField(
        "EmailReports.overall",
        "email",
        ("load_email_overall",),
        ("pastDays", "timezone"),
        tuple(DAILY_FIGURES),
    ),
    GraphField(
        "EmailReports.histogram", "email", ("load_email_histograms",), ("pastDays", "timezone")
    ),
    GraphField("Query.campaign/email", "email", ("load_campaigns",)),
    GraphField("EmailCampaign.report", "email", ("load_email_reports",)),
    GraphField("EmailCampaign.engagement", "email", ("load_engagements",), ("period", "timezone")),
    GraphField(
        "Query.deliveryByChannel/email", "email", ("load_email_daily",), ("startDate", "timezone")
    ),
)
_COORDINATES = {f.coordinate: f for f in FIELDS}


@dataclass(frozen=True)
class Answers:
    """One graph field a platform answers. `unsupported` names arguments it cannot answer
    (given, they are UNSUPPORTED_BY_SOURCE); `utc_days` says it counts by UTC day, so a
    timezone other than UTC is TIMEZONE_NOT_SUPPORTED rather than a near miss; `daily_only`
    names figures it counts within one day only (distinct recipients of each day, such as
    "opened" and "clicked"): over a window of several days they, and the rates built from them,
    are UNSUPPORTED_BY_SOURCE in their own fields rather than the days' figures added up (a
    window of one day is exact)."""

    field: str
    unsupported: frozenset[str] = frozenset()
    utc_days: bool = False
    daily_only: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        known = _COORDINATES.get(self.field)
        if known is None:
            raise ValueError(f"no graph field {self.field!r} a platform can answer")
        if extra := self.unsupported - set(known.arguments):
            raise ValueError(f"{self.field} has no argument {', '.join(sorted(extra))}")
        if extra := self.daily_only - set(known.daily_figures):
            raise ValueError(
                f"{self.field} has no figure {', '.join(sorted(extra))} counted by day"
                f" (it may declare: {', '.join(known.daily_figures) or 'none'})"
            )


@dataclass(frozen=True)
class Credentials:
    """The secrets the sources file names: by (tenant, source name or phone), and each
    upstream number's by (tenant, number id) as (secret, whether it is a key id)."""

    secrets: Mapping[tuple[str, str], str]
    numbers: Mapping[tuple[str, int], tuple[str, bool]] = field(default_factory=dict)


# Builds a source's adapter over the shared client (its name, config and session are the
# source's); the adapter overrides the UpstreamProvider methods its fields need.
ProviderFactory = Callable[[UpstreamClient, Credentials], UpstreamProvider]


@dataclass(frozen=True, kw_only=True)
class Platform:
    """A platform plugin's declaration (plugin API version `api_version`)."""

    name: str  # as sources files name it: platform = "<name>"
    version: str
    package: str  # the distribution that provides it, for `pip install`
    title: str
    answers: tuple[Answers, ...]
    source_model: type[UpstreamSource] = UpstreamSource
    provider: ProviderFactory
    webhooks: WebhookShapes | None = None
    notes: Mapping[str, str] = field(default_factory=dict)  # per field: what the docs say
    api_version: int = API_VERSION
    # The adapter's class, so that `gateway platforms` and `check` can tell that it overrides
    # the methods its declared fields need; by default the return annotation of `provider`.
    adapter: type[UpstreamProvider] | None = None

    def __post_init__(self) -> None:
        if self.api_version != API_VERSION:
            raise ValueError(
                f"platform {self.name} is written for plugin API {self.api_version}; "
                f"this gateway has {API_VERSION}"
            )

    @property
    def areas(self) -> tuple[str, ...]:
        asked = {_COORDINATES[a.field].area for a in self.answers}
        return tuple(area for area in AREAS if area in asked)

    def answer(self, coordinate: str) -> Answers | None:
        return next((a for a in self.answers if a.field == coordinate), None)

    def adapter_class(self) -> type[UpstreamProvider] | None:
        """The adapter's class: `adapter`, or what `provider` says it returns."""
        if self.adapter is not None:
            return self.adapter
        try:
            returned = get_type_hints(self.provider).get("return")
        except Exception:  # an annotation that does not resolve: not known
            return None
        if isinstance(returned, type) and issubclass(returned, UpstreamProvider):
            return returned
        return None

    def missing_methods(self) -> list[str]:
        """Each declared field whose answering method the adapter does not override (so that
        it would answer UNSUPPORTED_BY_SOURCE despite the declaration), said in one line."""
        adapter = self.adapter_class()
        if adapter is None:
            return []
        return [
            f"{answer.field} is declared, but {adapter.__name__} does not override {method}"
            for answer in self.answers
            for method in _COORDINATES[answer.field].methods
            if getattr(adapter, method) is getattr(UpstreamProvider, method)
        ]
