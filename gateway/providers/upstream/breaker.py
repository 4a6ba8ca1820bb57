"""A source's circuit breaker: it counts failed calls (not retry attempts), opens after a run of
them, and after its reset time lets one trial call through for everyone waiting."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, field

__all__ = ["Breaker", "Ticket"]


class Ticket(enum.Enum):
    """What the breaker said to a call about to start."""

    GO = "go"
    TRIAL = "trial"  # the one call that tells whether the source has healed
    REFUSED = "refused"


@dataclass
class Breaker:
    """Opens after `threshold` failed calls in a row. `reset` seconds after it opened, the next
    call is a trial; calls arriving meanwhile wait for its outcome instead of being refused, so
    that one request asking a healed source for two numbers gets both."""

    threshold: int
    reset: float
    failures: int = 0
    opened_at: float | None = None
    _trial: asyncio.Future[bool] | None = field(default=None, repr=False)

    @property
    def state(self) -> str:
        return "closed" if self.opened_at is None else "open"

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None

    async def admit(self, now: float) -> Ticket:
        if self.opened_at is None:
            return Ticket.GO
        if self._trial is not None:
            healed = await asyncio.shield(self._trial)
            return Ticket.GO if healed else Ticket.REFUSED
        if now - self.opened_at >= self.reset:
            self._trial = asyncio.get_running_loop().create_future()
            return Ticket.TRIAL
        return Ticket.REFUSED

    def record(self, ok: bool, now: float, *, trial: bool = False) -> None:
        """A call's final outcome, once per call whatever its retries."""
        if ok:
            self.failures, self.opened_at = 0, None
        else:
            self.failures += 1
            # A failed trial opens the circuit for another `reset` seconds (unless a call that
            # started before it has closed it meanwhile).
            if self.failures >= self.threshold or (trial and self.opened_at is not None):
                self.opened_at = now
        if trial or ok:
            self._settle(ok)

    def abandon(self) -> None:
        """The trial ended without an answer (cancelled): the waiting calls are refused, and the
        next call after them tries again."""
        self._settle(False)

    def _settle(self, healed: bool) -> None:
        waiting, self._trial = self._trial, None
        if waiting is not None and not waiting.done():
            waiting.set_result(healed)
