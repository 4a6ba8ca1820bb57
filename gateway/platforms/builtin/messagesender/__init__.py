"""MessageSender: SMS analytics, the campaign export, billing and credits."""

from __future__ import annotations

from typing import ClassVar, Literal

from gateway.config.sources import UpstreamSource
from gateway.platforms.api import Answers, Credentials, Platform
from gateway.platforms.builtin.messagesender.events import WEBHOOKS
from gateway.platforms.builtin.messagesender.provider import MessageSenderProvider
from gateway.providers.upstream import UpstreamClient

__all__ = ["PLATFORM", "MessageSenderSource"]


class MessageSenderSource(UpstreamSource):
    # The document does not say how it takes its key; auth_header / auth_scheme change this.
    default_auth: ClassVar[tuple[str, str]] = ("x-api-key", "")

    # startDate/endDate are typed as ISO dates, so only whole UTC days can be asked;
    # "instant" sends full instants instead, for a server known to take them.
    range_format: Literal["date", "instant"] = "date"


def _provider(client: UpstreamClient, credentials: Credentials) -> MessageSenderProvider:
    return MessageSenderProvider(client, dict(credentials.secrets))


PLATFORM = Platform(
    name="messagesender",
    version="1.0.0",
    package="analytics-gateway",
    title="MessageSender (SMS)",
    answers=(
        Answers("SmsAnalytics.overview"),
        Answers("SmsAnalytics.trends", utc_days=True),
        Answers("SmsAnalytics.topCampaigns"),
        Answers("SmsAnalytics.bestSendTimes", utc_days=True),
        Answers("SmsAnalytics.campaignExport"),
        Answers("Query.billing"),
        Answers("Query.creditBalance"),
    ),
    source_model=MessageSenderSource,
    provider=_provider,
    webhooks=WEBHOOKS,
    notes={
        "SmsAnalytics.overview": 'whole UTC days, unless range_format = "instant"',
        "SmsAnalytics.campaignExport": 'whole UTC days, unless range_format = "instant"',
    },
)
