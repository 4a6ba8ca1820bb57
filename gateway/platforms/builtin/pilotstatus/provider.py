"""Pilot Status: WhatsApp number dashboards from GET /v1/analytics/dashboard.

Each number has its own number-scoped key (`x-api-key: ps_...`, or its id in `x-api-key-id`).
Assumption where the document is silent: its counters nest as ours do (delivered includes read,
sent includes delivered) and it reports no queued messages, so total = sent + failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from itertools import chain

from pydantic import TypeAdapter, model_validator

from gateway.domain.messages import DailySeries, DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard
from gateway.errors import GatewayError
from gateway.providers.upstream.base import UpstreamProvider, each
from gateway.providers.upstream.http import UpstreamClient
from gateway.providers.upstream.shapes import (
    END,
    FIRST,
    INT_MAX,
    Count,
    Day,
    Shape,
    fit_int,
    validated,
)

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
        return _sums(self.sent, self.delivered, self.read, self.failed)

    def counts(self) -> DeliveryCounts:
        return DeliveryCounts.of(*self.sums())


class _Point(_Counts):
    date: Day


class _Dashboard(Shape):
    totals: _Counts
    series: list[_Point]


DASHBOARD = TypeAdapter(_Dashboard)
_NONE = (0, 0, 0, 0, 0)  # a day the upstream left out
_FIRST_DAY, _END_DAY = FIRST.date(), END.date()


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
        data = response.json(self.name)
        plain = _plain_dashboard(data)
        if plain is None:  # anything unusual: pydantic validates it, and names what is wrong
            body = validated(DASHBOARD, data, self.name, "a dashboard", response.status)
            plain = body.totals.sums(), {point.date: point.sums() for point in body.series}
        totals, by_day = plain
        # Every local day is present in the graph, whatever the upstream left out.
        days = [request.today - timedelta(days=i) for i in range(request.period.days - 1, -1, -1)]
        series = DailySeries(days, chain.from_iterable(by_day.get(day, _NONE) for day in days))
        return NumberDashboard(request=request, totals=DeliveryCounts.of(*totals), series=series)


Sums = tuple[int, int, int, int, int]


def _plain_dashboard(data: object) -> tuple[Sums, dict[date, Sums]] | None:
    """The totals and days of a dashboard in the shape Pilot Status answers it every time
    (plain ints within GraphQL's Int, dates as YYYY-MM-DD in range), read without building
    a model per point; None for anything else, which _Dashboard then validates: the same
    figures where both accept, and its errors where only it could say what is wrong."""
    if data.__class__ is not dict:
        return None
    assert isinstance(data, dict)
    totals, points = _plain_sums(data.get("totals")), data.get("series")
    if totals is None or points.__class__ is not list:
        return None
    assert isinstance(points, list)
    by_day: dict[date, Sums] = {}
    for point in points:
        sums = _plain_sums(point)
        text = point.get("date") if sums is not None else None
        if text.__class__ is not str or len(text) != 10 or not text.isascii():
            return None
        if text[4] != "-" or text[7] != "-":
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
        if not _FIRST_DAY <= day < _END_DAY:
            return None
        assert sums is not None  # else no date was read
        by_day[day] = sums
    return totals, by_day


def _plain_sums(counts: object) -> Sums | None:
    if counts.__class__ is not dict:
        return None
    assert isinstance(counts, dict)
    values: list[int] = []
    for name in ("sent", "delivered", "read", "failed"):
        value = counts.get(name)
        if value.__class__ is not int or not 0 <= value <= INT_MAX:
            return None
        values.append(value)
    sent, delivered, read, failed = values
    if max(sent, delivered, read) + failed > INT_MAX:  # as _Counts refuses it
        return None
    return _sums(sent, delivered, read, failed)


def _sums(sent: int, delivered: int, read: int, failed: int) -> Sums:
    """queued, sent_only, failed, delivered_only and read, as a DailySeries keeps them."""
    delivered = max(delivered, read)
    sent = max(sent, delivered)
    return (0, sent - delivered, failed, delivered - read, read)
