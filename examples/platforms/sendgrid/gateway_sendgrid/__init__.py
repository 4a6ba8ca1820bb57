"""SendGrid as a platform of analytics-gateway: its email statistics answer a tenant's email
reports (see README.md, and provider.py for what each field is made of)."""

from __future__ import annotations

from pydantic import Field

from gateway.config.sources import UpstreamSource
from gateway.platforms import Answers, Credentials, Platform
from gateway.providers.upstream import UpstreamClient
from gateway_sendgrid.provider import MAX_LINK_PAGES, SendGridProvider

__all__ = ["PLATFORM", "SendGridProvider", "SendGridSource"]

__version__ = "0.1.0"


class SendGridSource(UpstreamSource):
    # SendGrid's global API; EU subusers use https://api.eu.sendgrid.com. Its key goes in
    # `Authorization: Bearer`, the shared default.
    base_url: str = Field("https://api.sendgrid.com", pattern=r"^https?://")
    # The pages of a single send's link stats one report reads at most (50 rows each); a send
    # with more answers its link activity TOO_MANY_RESULTS.
    max_link_pages: int = Field(MAX_LINK_PAGES, ge=1, le=200)


DAILY = frozenset({"opened", "clicked"})


def _provider(client: UpstreamClient, credentials: Credentials) -> SendGridProvider:
    config = client.config
    pages = config.max_link_pages if isinstance(config, SendGridSource) else MAX_LINK_PAGES
    return SendGridProvider(client, dict(credentials.secrets), max_link_pages=pages)


PLATFORM = Platform(
    name="sendgrid",
    version=__version__,
    package="analytics-gateway-sendgrid",
    title="SendGrid (email statistics)",
    answers=(
        # Its uniques are each UTC day's: over several days, not distinct recipients.
        Answers("EmailReports.dashboard", utc_days=True, daily_only=DAILY),
        Answers("EmailReports.overall", utc_days=True, daily_only=DAILY),
        Answers("EmailReports.histogram", utc_days=True),
        Answers("Query.campaign/email"),
        Answers("EmailCampaign.report"),
    ),
    source_model=SendGridSource,
    provider=_provider,
    notes={
        "EmailReports.dashboard": "campaignsSent and newContacts: UNSUPPORTED_BY_SOURCE (not in"
        " SendGrid's stats); unique opens and clicks (and their rates) over more than one day:"
        " UNSUPPORTED_BY_SOURCE (SendGrid counts uniques per UTC day)",
        "EmailReports.overall": "unique opens and clicks (and their rates) over more than one"
        " day: UNSUPPORTED_BY_SOURCE (SendGrid counts uniques per UTC day)",
        "EmailReports.histogram": "uniqueOpens and uniqueClicks are SendGrid's uniques of each"
        " day (a recipient opening on two days counts on both, not on the first only)",
        "EmailCampaign.report": "a single send; linkActivity.uniqueClicks:"
        " UNSUPPORTED_BY_SOURCE (SendGrid counts clicks per link only)",
    },
)
