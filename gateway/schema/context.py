"""What every resolver gets in `info.context`: who is asking, the loaders, and the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from graphql import DocumentNode

from gateway.domain.auth import KeyLookup, Principal
from gateway.errors import Unauthenticated
from gateway.providers.base import ProviderRegistry
from gateway.providers.versions import TenantVersions
from gateway.schema.loaders import Loaders
from gateway.schema.questions import LiveQuestions

__all__ = ["Clock", "GatewayContext", "LiveConnection", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveConnection:
    """A subscription socket's caller, as its connection_init authenticated it: kept so that
    the socket can be checked again whenever keys change."""

    address: str
    principal: Principal | None = None
    credential_hash: str | None = None


@dataclass
class GatewayContext:
    caller: Principal | None
    registry: ProviderRegistry
    request_id: str
    clock: Clock = system_clock
    versions: TenantVersions | None = None
    # The questions live subscriptions share (see gateway.schema.questions).
    questions: LiveQuestions | None = None
    keys: KeyLookup | None = None
    deadline_seconds: float = 15.0
    connection_params: dict[str, object] | None = None
    # Documents the admission steps parsed for this request, by their text.
    parsed: dict[str, DocumentNode] = field(default_factory=dict)
    # What the request's operations may still cost together (None: each on its own).
    cost_left: int | None = None
    # How many items the deprecated `numbers` will hold for the caller, counted before the
    # operation's estimate when it selects that list (None: not counted, priced at its cap).
    listed_numbers: int | None = None
    live: LiveConnection | None = None
    # Whether the client takes @defer and @stream parts as they come (a multipart or event
    # stream answer, a socket); otherwise they are part of the whole answer.
    incremental: bool = False
    # Fields answered from stale upstream answers: {path, source, ageSeconds} each, named in
    # the answer's `extensions.stale`.
    stale: list[dict[str, object]] = field(default_factory=list)
    # The first instant at which the answer may change with the clock alone, its data aside
    # (see `changes_by`); None while nothing asked for a window that ends.
    changes_at: datetime | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.registry)

    def fresh_loaders(self) -> None:
        """New loaders, their caches empty: a live subscription reads again after a change."""
        self.loaders = Loaders(self.registry)

    def changes_by(self, moment: datetime) -> None:
        """Note that the answer may change by `moment` even if its data does not: the end of
        today in a window of local days ending today, or now for a range that ends now. The
        response cache keeps an answer no longer than that (the tenant's data moving drops it
        anyway)."""
        if self.changes_at is None or moment < self.changes_at:
            self.changes_at = moment

    @property
    def principal(self) -> Principal:
        # Only introspection runs without a key (the view checks), so this is a safety net.
        if self.caller is None:
            raise Unauthenticated("missing x-api-key (or x-api-key-id) header")
        return self.caller
