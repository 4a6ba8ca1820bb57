"""NativeProvider: the provider Protocols answered from the native store."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from gateway.domain.messages import DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard, NumberRef, WhatsAppNumber
from gateway.errors import GatewayError
from gateway.providers.native.dashboards import daily_delivery
from gateway.providers.native.store import SqliteStore
from gateway.providers.native.tenancy import NumberRecord, Tenancy
from gateway.timewindows import DayWindow

__all__ = ["NativeProvider"]

SOURCE = "native"


class NativeProvider:
    source = SOURCE

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.tenancy = Tenancy(store)

    async def load_numbers(
        self, refs: Sequence[NumberRef]
    ) -> list[WhatsAppNumber | GatewayError | None]:
        by_tenant: dict[str, list[int]] = defaultdict(list)
        for ref in refs:
            by_tenant[ref.tenant_id].append(ref.number_id)
        found: dict[tuple[str, int], WhatsAppNumber] = {}
        for tenant_id, ids in by_tenant.items():
            for number_id, record in (await self.tenancy.numbers_by_id(tenant_id, ids)).items():
                found[tenant_id, number_id] = _number(record)
        return [found.get((r.tenant_id, r.number_id)) for r in refs]

    async def list_numbers(self, tenant_id: str) -> list[WhatsAppNumber]:
        return [_number(record) for record in await self.tenancy.list_numbers(tenant_id)]

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        # Requests sharing a window (the usual case: one query, many numbers) become one query.
        by_window: dict[tuple[int, str, object], list[DashboardRequest]] = defaultdict(list)
        for request in requests:
            by_window[request.period.days, request.timezone, request.today].append(request)
        answers: dict[DashboardRequest, NumberDashboard] = {}
        for (days, timezone, _), group in by_window.items():
            today = group[0].today
            window = DayWindow.from_dates(
                today - timedelta(days=days - 1), today, ZoneInfo(timezone)
            )
            ids = sorted({r.number.number_id for r in group})
            series = await daily_delivery(self.store, ids, window)
            for request in group:
                points = series[request.number.number_id]
                totals = sum((p.counts for p in points), DeliveryCounts())
                answers[request] = NumberDashboard(
                    request=request, totals=totals, series=tuple(points)
                )
        return [answers[request] for request in requests]


def _number(record: NumberRecord) -> WhatsAppNumber:
    return WhatsAppNumber(
        ref=NumberRef(source=SOURCE, tenant_id=record.tenant_id, number_id=record.id),
        phone_number=record.phone_number,
        display_name=record.display_name,
    )
