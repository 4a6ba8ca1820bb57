"""Pilot Status: WhatsApp number dashboards from GET /v1/analytics/dashboard.

Each number has its own number-scoped key (`x-api-key: ps_...`, or its id in `x-api-key-id`).
Assumption where the document is silent: its counters nest as ours do (delivered includes read,
sent includes delivered) and it reports no queued messages, so total = sent + failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from itertools import chain

from pydantic import TypeAdapter, model_validator

from gateway.domain.messages import DailySeries, DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard
from gateway.errors import GatewayError
from gateway.providers.upstream.base import UpstreamProvider, each
from gateway.providers.upstream.http import UpstreamClient
from gateway.providers.upstream.shapes import Count, Day, Shape, fit_int, validated

__all__ = ["PilotStatusProvider"]


class _Counts(Shape):
    sent: Count
    delivered: Count
    read: Count
    failed: Count

    @model_validator(mode="after")
    def _total_fits(self) -> _Counts:
        fit_int(max(self.sent, self.delivered, self.read), self.failed)
        return self

    def sums(self) -> tuple[int, int, int, int, int]:
        """queued, sent_only, failed, delivered_only and read, as a DailySeries keeps them."""
        delivered = max(self.delivered, self.read)
        sent = max(self.sent, delivered)
        return (0, sent - delivered, self.failed, delivered - self.read, self.read)

    def counts(self) -> DeliveryCounts:
        return DeliveryCounts.of(*self.sums())


class _Point(_Counts):
    date: Day


class _Dashboard(Shape):
    totals: _Counts
    series: list[_Point]


DASHBOARD = TypeAdapter(_Dashboard)
_NONE = (0, 0, 0, 0, 0)  # a day the upstream left out


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
        body = validated(
            DASHBOARD, response.json(self.name), self.name, "a dashboard", response.status
        )
        # Every local day is present in the graph, whatever the upstream left out.
        by_day = {point.date: point.sums() for point in body.series}
        days = [request.today - timedelta(days=i) for i in range(request.period.days - 1, -1, -1)]
        series = DailySeries(days, chain.from_iterable(by_day.get(day, _NONE) for day in days))
        return NumberDashboard(request=request, totals=body.totals.counts(), series=series)
