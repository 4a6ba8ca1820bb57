"""The email dashboard's counts as whole numbers (`EmailDashboard.counts`): the figures that
count something, typed Int, beside the rates, which stay Float."""

from __future__ import annotations

import strawberry

from gateway.domain.email import (
    DAILY_FIGURES,
    EmailCounts,
    EmailDashboard,
    EmailDashboardFigures,
    PastDaysRequest,
)
from gateway.domain.timewindows import percent_diff
from gateway.errors import UnsupportedBySource

__all__ = ["DashboardCount", "EmailDashboardCounts", "refuse_inexact"]

_SAID = {"opened": "unique opens", "clicked": "unique clicks"}


def refuse_inexact(name: str, request: PastDaysRequest, *counts: EmailCounts) -> None:
    """UNSUPPORTED_BY_SOURCE when the figure `name` (or the rate built from it) is, in any of
    `counts`, one its platform counts within one day only, over a window of several days."""
    figure = next((f for f, rates in DAILY_FIGURES.items() if name == f or name in rates), None)
    if figure is None or not any(figure in c.inexact for c in counts):
        return
    said = _SAID.get(figure, figure)
    raise UnsupportedBySource(
        f"{request.source} counts {said} within one day only: over {request.past_days}"
        f" days they would be each day's added up (a recipient on two days counted twice),"
        f" not distinct recipients; they are exact with pastDays: 1, and per day in the"
        f" histogram",
        source=request.source,
    )


@strawberry.type(description="A count now, in the preceding window, and the change.")
class DashboardCount:
    value: int = strawberry.field(description="In the current window.")
    previous: int = strawberry.field(description="In the preceding window of the same length.")
    diff: float | None = strawberry.field(
        description="The change in percent, (value - previous) / previous * 100, rounded"
        " half-up to 2 places; null when previous is 0."
    )


def _count(figures: EmailDashboardFigures, name: str) -> int:
    if name in EmailDashboardFigures.model_fields:
        return int(getattr(figures, name))
    return int(getattr(figures.counts, name))


@strawberry.type(
    description="The email dashboard's counts, each a whole number (Int), with the preceding"
    " window and the change."
)
class EmailDashboardCounts:
    model: strawberry.Private[EmailDashboard]

    def _pair(self, name: str) -> DashboardCount:
        board = self.model
        refuse_inexact(name, board.request, board.current.counts, board.previous.counts)
        now = _count(self.model.current, name)
        before = _count(self.model.previous, name)
        return DashboardCount(value=now, previous=before, diff=percent_diff(now, before))

    @strawberry.field(description="Email campaigns sent.")
    def campaigns_sent(self) -> DashboardCount:
        return self._pair("campaigns_sent")

    @strawberry.field(description="Emails sent.")
    def emails_sent(self) -> DashboardCount:
        return self._pair("sent")

    @strawberry.field(description="Emails delivered: sent - bounces.")
    def delivered(self) -> DashboardCount:
        return self._pair("delivered")

    @strawberry.field(description="Recipients who opened for the first time.")
    def unique_opens(self) -> DashboardCount:
        return self._pair("opened")

    @strawberry.field(description="Recipients who clicked for the first time.")
    def unique_clicks(self) -> DashboardCount:
        return self._pair("clicked")

    @strawberry.field(description="Hard and soft bounces.")
    def bounces(self) -> DashboardCount:
        return self._pair("bounced")

    @strawberry.field(description="Unsubscribes.")
    def unsubscribes(self) -> DashboardCount:
        return self._pair("unsubscribed")

    @strawberry.field(description="Contacts created.")
    def new_contacts(self) -> DashboardCount:
        return self._pair("new_contacts")
