"""The email platform's reports API: dashboard, overall, histogram, campaign report, engagement."""

from __future__ import annotations

from gateway.config.sources import UpstreamSource
from gateway.platforms.api import Answers, Credentials, Platform
from gateway.platforms.builtin.emailreports.events import WEBHOOKS
from gateway.platforms.builtin.emailreports.provider import EmailReportsProvider
from gateway.providers.upstream import UpstreamClient

__all__ = ["PLATFORM"]


def _provider(client: UpstreamClient, credentials: Credentials) -> EmailReportsProvider:
    return EmailReportsProvider(client, dict(credentials.secrets))


PLATFORM = Platform(
    name="emailreports",
    version="1.0.0",
    package="analytics-gateway",
    title="Email reports",
    answers=(
        Answers("EmailReports.dashboard"),
        Answers("EmailReports.overall"),
        Answers("EmailReports.histogram"),
        Answers("Query.campaign/email"),
        Answers("EmailCampaign.report"),
        Answers("EmailCampaign.engagement"),
    ),
    source_model=UpstreamSource,
    provider=_provider,
    webhooks=WEBHOOKS,
)
