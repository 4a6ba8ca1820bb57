"""Pilot Status: WhatsApp number dashboards from GET /v1/analytics/dashboard.

Each number has its own number-scoped key (`x-api-key: ps_...`, or its id in `x-api-key-id`).
Assumption where the document is silent: its counters nest as ours do (delivered includes read,
sent includes delivered) and it reports no queued messages, so total = sent + failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, ValidationError

from gateway.domain.messages import DailyDelivery, DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard
from gateway.errors import GatewayError, UpstreamError
from gateway.providers.upstream.base import UpstreamProvider, each
from gateway.providers.upstream.http import UpstreamClient

__all__ = ["PilotStatusProvider"]


class _Counts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sent: int = 0
    delivered: int = 0
    read: int = 0
    failed: int = 0

    def counts(self) -> DeliveryCounts:
        read = max(self.read, 0)
        delivered = max(self.delivered, read)
        sent = max(self.sent, delivered)
        return DeliveryCounts(
            sent_only=sent - delivered,
            delivered_only=delivered - read,
            read=read,
            failed=max(self.failed, 0),
        )


class _Point(_Counts):
    date: date


class _Dashboard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    period: str | None = None
    totals: _Counts
    series: list[_Point] = []


class PilotStatusProvider(UpstreamProvider):
    platform = "pilotstatus"

    def __init__(
        self,
        client: UpstreamClient,
        secrets: dict[tuple[str, str], str],
        numbers: dict[tuple[str, int], tuple[str, bool]],
    ) -> None:
        super().__init__(client, secrets)
        # (tenant, number id) -> (secret, whether it is a key id rather than a key)
        self.numbers = numbers

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        return await each(requests, self._dashboard)

    async def _dashboard(self, request: DashboardRequest) -> NumberDashboard:
        ref = request.number
        try:
            secret, is_key_id = self.numbers[ref.tenant_id, ref.number_id]
        except KeyError:
            raise self.unsupported(f"number {ref.number_id}: no key configured") from None
        response = await self.client.get(
            "/v1/analytics/dashboard",
            {"period": request.period.value, "timezone": request.timezone},
            secret,
            credential_header="x-api-key-id" if is_key_id else None,
        )
        try:
            body = _Dashboard.model_validate(response.json(self.name))
        except ValidationError:
            raise UpstreamError(
                f"{self.name} answered a dashboard of an unexpected shape",
                source=self.name,
                upstreamStatus=response.status,
            ) from None
        # Every local day is present in the graph, whatever the upstream left out.
        by_day = {point.date: point.counts() for point in body.series}
        days = [request.today - timedelta(days=i) for i in range(request.period.days - 1, -1, -1)]
        series = tuple(
            DailyDelivery(day=day, counts=by_day.get(day, DeliveryCounts())) for day in days
        )
        return NumberDashboard(request=request, totals=body.totals.counts(), series=series)
