"""Settings from GATEWAY_* environment variables, overridden by CLI flags."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = [
    "Settings",
    "SettingsProblems",
    "StoreUrlError",
    "load_settings",
    "store_url",
    "unknown_variables",
]


class StoreUrlError(ValueError):
    """A store URL that names no store the gateway can open."""


def store_url(value: str | Path) -> str:
    """A store URL from a URL or a bare SQLite path."""
    text = str(value)
    if text.startswith(("sqlite://", "postgresql://", "postgres://")):
        return text
    if "://" in text:
        raise StoreUrlError(
            f"store URL {text!r}: use sqlite:///path/to/file or postgresql://user@host/db"
        )
    return f"sqlite:///{Path(text).resolve()}"


PREFIX = "GATEWAY_"
# The test suite's own switches, which share the prefix but are no setting of the gateway.
HARNESS_PREFIXES = ("GATEWAY_REQUIRE_", "GATEWAY_TEST_", "GATEWAY_FUZZ_")
# Values never repeated in an error line.
JSON_EXAMPLES = {
    "cors_origins": '["https://app.example"]',
    "rate_limit_overrides": '{"acme": 200}',
    None: "",
}
SECRET_FIELDS = frozenset({"store_url", "redis_url", "metrics_token"})


class Settings(BaseSettings):
    """Everything the gateway can be told; CLI flags are passed as keyword arguments."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="forbid")

    host: str = Field("127.0.0.1", description="Address to listen on.")
    port: int = Field(8000, ge=0, le=65535, description="Port to listen on; 0 picks a free one.")
    data_dir: Path = Field(Path("data"), description="Where the embedded store lives.")
    database: Path | None = Field(
        None, description="The SQLite database file; default DATA_DIR/gateway.sqlite3."
    )
    store_url: str | None = Field(
        None,
        description="The native store: postgresql://user:password@host:port/db for a server that"
        " replicas share, or sqlite:///absolute/path; default the SQLite file DATABASE.",
    )
    demo: bool = Field(
        True,
        description="Seed demo data into an empty store at start-up and print demo keys.",
    )
    graphiql: bool = Field(True, description="Serve GraphiQL at /graphql to browsers.")
    sources_file: Path | None = Field(
        None, description="TOML file of upstream sources and where each tenant's data lives."
    )
    fast_path: bool = Field(
        True,
        description="Parser and validation caches, the fast JSON encoder and the response"
        " cache; off only to measure what they are worth.",
    )
    cache_ttl_seconds: float = Field(
        30.0, ge=0, description="Longest life of a cached response; 0 turns the cache off."
    )
    cache_settled_ttl_seconds: float = Field(
        900.0,
        ge=0,
        description="Longest life of a cached answer that cannot change until one of its local"
        " days ends (periods, pastDays, ranges between given dates) or its data moves (which"
        " drops it at once); it is kept until that day ends, at most this long."
        " GATEWAY_CACHE_TTL_SECONDS=0 still turns the cache off.",
    )
    cache_megabytes: int = Field(64, ge=1, description="Memory the response cache may hold.")
    dashboard_memo: bool = Field(
        True,
        description="Keep computed dashboards, and the daily sums reports are built from, until"
        " their tenant's data moves, across queries, keys and zones of one offset; off to"
        " measure the store itself.",
    )
    workers: int = Field(1, ge=1, le=64, description="Worker processes sharing the port.")
    max_depth: int = Field(
        15,
        ge=1,
        description="Deepest operation accepted, introspection included (GraphiQL's schema query"
        " is 14 levels deep).",
    )
    max_aliases: int = Field(
        50, ge=0, description="Most aliases in one operation, its fragments spread out."
    )
    max_fields: int = Field(
        4000,
        ge=1,
        description="Most field selections one document may hold once its fragments are spread"
        " out (a fragment spread twice counts twice).",
    )
    max_fragment_spreads: int = Field(
        200, ge=0, description="Most fragment spreads written in one document."
    )
    max_tokens: int = Field(4000, ge=10, description="Longest document accepted, in tokens.")
    # Variables are bounded like the document: as many values as it has tokens. Federation's
    # `_entities` is the largest use: 100 representations of two key fields are 301 values, 3
    # levels deep; no argument of the graph nests deeper than that, and a compound key adds a
    # level or two, so 10 leaves room without letting a client make a deep walk of it.
    max_variable_values: int = Field(
        4000,
        ge=1,
        description="Most values one operation's variables may hold: each scalar, list and"
        " object counts, list items and object fields included.",
    )
    max_variable_depth: int = Field(
        10, ge=1, description="Deepest nesting of one operation's variables (a scalar is 1)."
    )
    max_document_kib: int = Field(
        64, ge=1, description="Longest document accepted, in KiB of text (comments included)."
    )
    anonymous_max_tokens: int = Field(
        1000,
        ge=10,
        description="Longest document accepted without a key (introspection), in tokens.",
    )
    anonymous_max_document_kib: int = Field(
        8, ge=1, description="Longest document accepted without a key, in KiB of text."
    )
    max_cost: int = Field(
        20_000,
        ge=1,
        description="Highest estimated cost of one operation: each field counts 1, and a list"
        " multiplies what it holds by its page size.",
    )
    max_merge_pairs: int = Field(
        10_000,
        ge=0,
        description="Most pairs of same-named fields that validating one document may compare"
        " (a field repeated n times makes n(n-1)/2).",
    )
    max_listed_numbers: int = Field(
        100,
        ge=1,
        description="Most numbers the deprecated, unpaged `numbers` lists; a tenant with more"
        " gets TOO_MANY_RESULTS there and pages with `numbersConnection`.",
    )
    max_representations: int = Field(
        100,
        ge=1,
        description="Most representations one operation's `_entities` calls (federation) may"
        " resolve together; more, literal or in variables, is refused before any resolves.",
    )
    max_batch_operations: int = Field(
        10, ge=1, description="Most operations in one batched request (a JSON array)."
    )
    max_body_kib: int = Field(256, ge=1, description="Largest request body accepted, in KiB.")
    introspection: bool = Field(True, description="Answer introspection (the schema).")
    webhook_tolerance_seconds: float = Field(
        300.0, gt=0, description="How far a webhook signature's time may be from now."
    )
    max_numbers_per_tenant: int = Field(
        10_000,
        ge=0,
        description="Numbers a tenant may reach by webhooks and import registering the unknown"
        " numbers their events name; an event past it is refused (TOO_MANY_NUMBERS).",
    )
    rate_limit: float = Field(
        50.0, ge=0, description="Requests a second per API key after a burst; 0: no limit."
    )
    rate_limit_burst: int = Field(100, ge=1, description="Requests a key may make at once.")
    rate_limit_overrides: Annotated[dict[str, float], NoDecode] = Field(
        default_factory=dict,
        description="Rates of their own, by tenant id or key handle (a JSON object).",
    )
    anonymous_rate_limit: float = Field(
        2.0,
        ge=0,
        description="Requests a second per client address that come without a valid key"
        " (introspection, and every 401) after a burst; 0: no limit.",
    )
    anonymous_rate_limit_burst: int = Field(
        20, ge=1, description="Requests without a valid key an address may make at once."
    )
    trusted_proxies: int = Field(
        0,
        ge=0,
        description="Proxies in front of the gateway that append the caller's address to"
        " X-Forwarded-For; the client address is the one the first of them saw. 0: the peer's.",
    )
    header_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="How long a connection may stay idle, or take to send a request's headers,"
        " before it is closed.",
    )
    body_timeout_seconds: float = Field(
        10.0, gt=0, description="How long a request's body may take to arrive."
    )
    max_connections_per_address: int = Field(
        64,
        ge=0,
        description="Open connections one client address may hold (0: no bound); behind a proxy"
        " (which holds them all), set 0 and bound them there.",
    )
    max_sockets_per_key: int = Field(
        8,
        ge=1,
        description="Subscription sockets and HTTP streams (server-sent events, multipart) one"
        " key may hold open at once, per process.",
    )
    # A thousand live dashboards of one tenant is a real deployment (a provider's wall of
    # numbers); twice that leaves room for it while one tenant's changes stay bounded in what
    # they wake for everyone.
    max_subscriptions_per_tenant: int = Field(
        2000,
        ge=1,
        description="Live subscriptions one tenant may hold at once over every transport"
        " (sockets, server-sent events, multipart), all its keys together, per process.",
    )
    persisted_megabytes: int = Field(
        16,
        ge=1,
        description="Memory for automatic persisted queries; each tenant's take at most a"
        " quarter of it.",
    )
    trusted_documents: Path | None = Field(
        None,
        description="A manifest of trusted documents (Apollo's persisted-query manifest, or a"
        " JSON object of sha256: document).",
    )
    trusted_documents_mode: Literal["off", "prefer", "only"] = Field(
        "prefer",
        description="off: the manifest is not read; prefer: its documents go by id, and others"
        " still run; only: every other document is refused by its hash, before parsing.",
    )
    metrics_token: str | None = Field(
        None,
        description="When set, /metrics answers only `Authorization: Bearer <token>`.",
    )
    # /metrics names every route, operation and source the gateway serves, and how often:
    # Prometheus scrapes it from beside the process, so by default it listens on loopback, on
    # the port Apollo Router's Prometheus endpoint takes, and not on the public port.
    metrics_host: str = Field(
        "127.0.0.1", description="Address /metrics listens on, apart from the public port."
    )
    metrics_port: int = Field(
        9090,
        ge=0,
        le=65535,
        description="Port /metrics listens on, apart from the public port; 0 picks a free one.",
    )
    metrics_public: bool = Field(
        False,
        description="Serve /metrics on the public port instead (behind GATEWAY_METRICS_TOKEN"
        " when it is set), with no listener of its own, as before 0.2.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the gateway ('*' for any); none by default.",
    )
    request_deadline_seconds: float = Field(
        15.0, gt=0, description="How long one GraphQL request may spend on upstream calls."
    )
    redis_url: str | None = Field(
        None,
        description="redis://host:port/db shared by every replica: rate limits then hold across"
        " all of them. None: each process counts for itself.",
    )
    store_statement_cache_size: int = Field(
        512,
        ge=0,
        le=100_000,
        description="PostgreSQL store: prepared statements each connection keeps. Set 0 behind"
        " PgBouncer in transaction pooling mode (whose server connections change between"
        " transactions), at a cost in throughput measured in the README's Deployment section.",
    )
    store_watch_seconds: float = Field(
        0.1,
        gt=0,
        description="How often each process looks whether another changed the store (keys,"
        " tenants' data).",
    )
    compression: bool = Field(
        True,
        description="Compress answers of 1 KiB and more (brotli or gzip, as Accept-Encoding"
        " says), GraphQL, CSV and static files alike.",
    )
    gc_young_objects: int = Field(
        50_000,
        ge=0,
        le=10_000_000,
        description="Allocations between collections of the youngest generation (Python's"
        " default 700, with 20 and 100 for the older ones); 0 keeps Python's thresholds.",
    )
    drain_seconds: float = Field(
        0.0,
        ge=0,
        le=300,
        description="On SIGTERM, how long to go on serving with /readyz at 503 before the"
        " listener closes, so that a load balancer stops sending first; then in-flight"
        " requests finish.",
    )
    log_level: str = Field("INFO", description="Python logging level.")
    log_format: Literal["text", "json"] = Field(
        "text", description="text for a terminal; json: one object per line, with the request id."
    )
    access_log: bool = Field(False, description="Log one line per request.")
    otel: bool = Field(
        False,
        description="Trace operations with OpenTelemetry (needs the otel extra; the exporter is"
        " set up by the OTEL_* variables or by the program that embeds the gateway).",
    )
    incremental_delivery: bool = Field(
        True,
        description="Take @defer and @stream, and send their parts as they come to clients that"
        " accept multipart/mixed (deferSpec=20220824) or text/event-stream, and over sockets;"
        " false leaves the two directives out of the schema.",
    )

    @field_validator("rate_limit_overrides", "cors_origins", mode="before")
    @classmethod
    def _from_json(cls, value: object, info: ValidationInfo) -> object:
        # Decoded here rather than by pydantic-settings, whose error on bad JSON stops at the
        # first field and names no value; here it is one validation error among the others.
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise ValueError(f"not JSON; for example {JSON_EXAMPLES[info.field_name]}") from None

    @property
    def database_path(self) -> Path:
        return self.database or self.data_dir / "gateway.sqlite3"

    @property
    def store(self) -> str:
        """The store URL in use."""
        return store_url(self.store_url or self.database_path)

    @property
    def graphiql_assets_path(self) -> Path:
        """Where `gateway graphiql-assets` puts GraphiQL's files: beside the store."""
        return self.database_path.parent / "graphiql-assets"


class SettingsProblems(ValueError):
    """The settings cannot be used; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_settings(overrides: Mapping[str, object] | None = None) -> Settings:
    """The environment's settings with `overrides` (the command line's options) on top, or
    SettingsProblems naming each bad variable or option and what is wrong with it."""
    given: dict[str, Any] = dict(overrides or {})
    try:
        return Settings(**given)
    except ValidationError as error:
        problems = []
        for found in error.errors(include_url=False):
            name, *inner = (str(part) for part in found["loc"]) if found["loc"] else ("",)
            message = found["msg"].removeprefix("Value error, ")
            value = "<hidden>" if name in SECRET_FIELDS else str(found.get("input", ""))[:60]
            at = "".join(f"[{part!r}]" for part in inner)
            if name in given:
                problems.append(f"--{name.replace('_', '-')}{at} {value}: {message}")
            else:
                problems.append(f"{PREFIX}{name.upper()}{at}={value}: {message}")
        raise SettingsProblems(problems) from None


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """A line for each GATEWAY_* variable that is no setting (a typo is otherwise silently
    ignored), with the closest known name."""
    known = [PREFIX + name.upper() for name in Settings.model_fields]
    lines = []
    for variable in sorted(environ):
        name = variable.upper()
        if not name.startswith(PREFIX) or name in known or name.startswith(HARNESS_PREFIXES):
            continue
        closest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"; did you mean {closest[0]}?" if closest else ""
        lines.append(f"{variable} is not a setting of the gateway and is ignored{hint}")
    return lines
