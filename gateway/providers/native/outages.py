"""The one place where the store's lower-layer errors (a server down or restarting, a dropped
connection, a pool closing, a SQLite file locked past its timeout) become the gateway's typed
StoreUnavailable, and where each outage is logged: a line when it starts, one when it ends."""

from __future__ import annotations

import logging
import sqlite3
import time
from types import TracebackType

import asyncpg

from gateway.errors import StoreUnavailable

__all__ = ["OUTAGES", "StoreOutages", "describe", "is_outage"]

log = logging.getLogger("gateway.store")

# What a store that is away, restarting, full or closing raises. What it raises to refuse a
# statement (a constraint, a trigger's check) is not here: that is the store's `refusals`.
OUTAGES: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable
    TimeoutError,  # no connection within the pool's timeout
    asyncpg.PostgresConnectionError,  # ConnectionDoesNotExistError and the like
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    # At shutdown: "cannot switch to state 12; another operation (2) is in progress".
    asyncpg.InternalClientError,
)

# SQLite's primary result codes for a file that cannot be written now: busy or locked past
# busy_timeout, read-only, a disk I/O error, a full disk, a file that cannot be opened. Its
# other OperationalErrors (a missing table, too many parameters) are a statement's fault.
_SQLITE_UNAVAILABLE = frozenset({5, 6, 8, 10, 13, 14, 15})


def is_outage(error: BaseException) -> bool:
    # asyncpg's plain InterfaceError is a pool or connection caught closing ("pool is closing",
    # "connection is closed"); its subclasses are a caller's mistakes (an argument of the wrong
    # type), which must stay visible as such.
    if isinstance(error, sqlite3.OperationalError):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_UNAVAILABLE
    return isinstance(error, OUTAGES) or type(error) is asyncpg.InterfaceError


def describe(error: BaseException) -> str:
    """The lower-layer cause of a StoreUnavailable (or the error itself), in one short line."""
    cause = error.__cause__ if isinstance(error, StoreUnavailable) and error.__cause__ else error
    return f"{type(cause).__name__}: {cause}"[:200]


class StoreOutages:
    """A store's outage log and its error mapping, used as `with outages:` around each call.

    Calls that fail are counted; the first starts the outage (one warning), and the next call
    that succeeds ends it (one line, with how long it lasted and how many calls it refused).
    `outages.watch` maps the same way without counting: the store watch's polls are no one's
    request."""

    def __init__(self) -> None:
        self.since: float | None = None
        self.refused = 0
        self.watch = _Uncounted(self)

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.settle(error, counted=True)

    def settle(self, error: BaseException | None, *, counted: bool) -> None:
        """End the outage on a success; raise StoreUnavailable for an outage's error (any other
        passes on as it is)."""
        if error is None:
            if self.since is not None:
                self.ended()
        elif is_outage(error):
            self.refused += counted
            self.failed(error)
            raise StoreUnavailable() from error

    def failed(self, error: BaseException) -> None:
        if self.since is None:
            self.since = time.monotonic()
            log.warning(
                "the store is not answering (%s): calls that need it are answered as "
                "unavailable until it does",
                describe(error),
            )

    def ended(self) -> None:
        assert self.since is not None
        log.warning(
            "the store answers again after %.1f s; %d calls refused meanwhile",
            time.monotonic() - self.since,
            self.refused,
        )
        self.since, self.refused = None, 0


class _Uncounted:
    def __init__(self, outages: StoreOutages) -> None:
        self.outages = outages

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.outages.settle(error, counted=False)
