"""The sources file: which upstream platforms exist, and which tenant's data lives where.

    [sources.ps]                       # a source: one platform endpoint
    platform = "pilotstatus"           # an installed platform (`gateway platforms` lists them)
    base_url = "https://pilotstatus.com.br"
    timeout_seconds = 10               # per call
    max_concurrency = 8                # calls in flight at once
    retries = 2                        # on connection errors, 5xx and 429
    max_body_kib = 8192                # the largest answer read; larger is UPSTREAM_ERROR
    cache_ttl_seconds = 30             # how long an answer is fresh
    stale_seconds = 0                  # then served stale while one refresh runs
    stale_if_error_seconds = 0         # or served stale while the platform fails
    # range_format = "instant"         # MessageSender only: instants instead of ISO dates

    [tenants.acme]
    sms = "ms"                         # SMS analytics, SMS campaigns, billing; default native
    email = "er"                       # email reports; default native
    credentials = { ms = "ACME_MS_KEY", er = "ACME_ER_KEY" }   # env vars holding the keys

    [[tenants.acme.numbers]]           # WhatsApp numbers whose dashboards live upstream
    source = "ps"
    phone = "+5511955550101"
    name = "Sales"
    key_env = "ACME_PS_SALES_KEY"      # the number-scoped ps_ key (or key_id_env)

Secrets never appear in the file: only the names of the environment variables holding them.
Each source is validated against its platform's own model (an `UpstreamSource` with the
platform's fields added); the platforms themselves are plugins, found by the layer above and
handed in as a `PlatformModels`, so this module names none.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "AREAS",
    "PlatformModels",
    "SourceConfig",
    "SourcesConfig",
    "SourcesError",
    "TenantSources",
    "UpstreamNumber",
    "UpstreamSource",
    "load_sources",
    "validation_problems",
]

NATIVE = "native"
# What a tenant routes to a source: "numbers" (its WhatsApp numbers), "sms" (SMS analytics,
# SMS campaigns, billing), "email" (email reports and email campaigns).
AREAS = ("numbers", "sms", "email")


class SourcesError(Exception):
    """The sources file cannot be used as it is; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validation_problems(error: ValidationError, where: str, within: str = "") -> list[str]:
    """One line per error pydantic found, without its links and input dumps; `within` is the
    location of the validated part in the file (as "sources.ps")."""
    lines = []
    for found in error.errors(include_url=False):
        location = ".".join([within] * bool(within) + [str(part) for part in found["loc"]])
        message = found["msg"].removeprefix("Value error, ")
        if "input" in found and found["type"] not in ("missing", "value_error"):
            message += f" (got {str(found['input'])[:60]!r})"
        lines.append(f"{where}: {location}: {message}" if location else f"{where}: {message}")
    return lines


class UpstreamSource(BaseModel):
    """What every upstream source has, whatever its platform: where it is, how it is called
    (deadline, concurrency, retries, breaker, cache, body cap) and how its key is sent. A
    platform's model extends it with its own fields and its own `default_auth`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # (header, scheme) the platform takes its key in; scheme "" sends the key bare.
    default_auth: ClassVar[tuple[str, str]] = ("authorization", "Bearer")

    platform: str
    base_url: str = Field(pattern=r"^https?://")
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    max_concurrency: int = Field(8, ge=1, le=256)
    retries: int = Field(2, ge=0, le=10)
    backoff_seconds: float = Field(0.2, ge=0, le=30)
    breaker_failures: int = Field(5, ge=1, le=1000)
    breaker_reset_seconds: float = Field(30.0, gt=0, le=3600)
    cache_ttl_seconds: float = Field(30.0, ge=0, le=86400)
    # Stale-while-revalidate (either above 0 keeps this source's answers for that long past
    # cache_ttl_seconds): an answer that old is served at once while one refresh runs, and
    # one up to stale_if_error_seconds old is served when the platform fails.
    stale_seconds: float = Field(0.0, ge=0, le=86400)
    stale_if_error_seconds: float = Field(0.0, ge=0, le=7 * 86400)
    # An answer is read as it streams in and given up on past this size.
    max_body_kib: int = Field(8192, ge=1, le=1024 * 1024)
    # Where a platform's document does not say how it takes its key, these say.
    auth_header: str | None = None
    auth_scheme: str | None = None

    def auth(self) -> tuple[str, str]:
        """(header, scheme) for this platform's key; scheme '' sends the key bare."""
        header, scheme = self.default_auth
        return (
            self.auth_header or header,
            scheme if self.auth_scheme is None else self.auth_scheme,
        )


# The name the shared upstream client has always taken its source by.
SourceConfig = UpstreamSource


class UnavailableSource(UpstreamSource):
    """A source whose platform is installed but cannot be loaded: its common fields are
    validated, the rest kept unread, so that the gateway starts and its fields say why."""

    model_config = ConfigDict(extra="allow", frozen=True)


class PlatformModels(Protocol):
    """The installed platforms, as the sources file needs them."""

    def source_model(self, platform: str) -> type[UpstreamSource] | None:
        """The platform's model; None when it is not installed or cannot be loaded."""
        ...

    def answers_area(self, platform: str, area: str) -> bool: ...

    def why_missing(self, platform: str) -> str:
        """One line: which package provides it, or why it could not be loaded."""
        ...

    def unavailable(self, platform: str) -> bool:
        """Installed, but its import failed."""
        ...


class UpstreamNumber(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    phone: str = Field(min_length=2, max_length=32)
    name: str | None = None
    key_env: str | None = None
    key_id_env: str | None = None

    @model_validator(mode="after")
    def _one_credential(self) -> UpstreamNumber:
        if (self.key_env is None) == (self.key_id_env is None):
            raise ValueError("give exactly one of key_env and key_id_env")
        return self


class TenantSources(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sms: str = NATIVE
    email: str = NATIVE
    credentials: dict[str, str] = Field(default_factory=dict)
    numbers: list[UpstreamNumber] = Field(default_factory=list)


class SourcesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: dict[str, UpstreamSource] = Field(default_factory=dict)
    tenants: dict[str, TenantSources] = Field(default_factory=dict)

    def platform(self, name: str) -> str | None:
        source = self.sources.get(name)
        return None if source is None else source.platform


def _source_problems(
    raw: Any, where: str, platforms: PlatformModels
) -> tuple[dict[str, UpstreamSource], list[str]]:
    """Each source validated against its own platform's model."""
    sources: dict[str, UpstreamSource] = {}
    problems: list[str] = []
    if not isinstance(raw, dict):
        return sources, []  # the file's own model says what is wrong with it
    for name, fields in raw.items():
        at = f"{where}: sources.{name}"
        platform = fields.get("platform") if isinstance(fields, dict) else None
        if not isinstance(platform, str):
            problems.append(f"{at}: platform: a platform name is required")
            continue
        model = platforms.source_model(platform)
        if model is None and platforms.unavailable(platform):
            model = UnavailableSource
        if model is None:
            problems.append(f"{at}: platform {platform!r} {platforms.why_missing(platform)}")
            continue
        try:
            sources[name] = model.model_validate(fields)
        except ValidationError as error:
            problems += validation_problems(error, where, f"sources.{name}")
    return sources, problems


def _route_problems(config: SourcesConfig, platforms: PlatformModels) -> list[str]:
    """Each tenant's areas and numbers point at sources whose platform answers that area."""
    problems = []
    for tenant, spec in config.tenants.items():
        routes = [(area, getattr(spec, area), "") for area in ("sms", "email")]
        routes += [("numbers", number.source, f"number {number.phone} ") for number in spec.numbers]
        for area, name, what in routes:
            if area != "numbers" and name == NATIVE:
                continue
            platform = config.platform(name)
            if platform is None:
                problems.append(f"tenant {tenant}: {what}{area} names no source {name!r}")
            elif not platforms.answers_area(platform, area) and not platforms.unavailable(platform):
                problems.append(
                    f"tenant {tenant}: {what}{area} needs a source answering {area}, and "
                    f"{name!r} ({platform}) does not"
                )
    return problems


def load_sources(
    path: Path | None,
    env: Mapping[str, str] | None = None,
    *,
    platforms: PlatformModels,
) -> tuple[SourcesConfig, dict[tuple[str, str], str]]:
    """The sources file and the credentials it names, as {(tenant, source or phone): secret}."""
    if path is None:
        return SourcesConfig(), {}
    env = os.environ if env is None else env
    where = f"sources file {path}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise SourcesError([f"cannot read the sources file {path}: {error.strerror}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise SourcesError([f"{where}: {error}"]) from None
    sources, problems = _source_problems(data.get("sources", {}), where, platforms)
    try:
        config = SourcesConfig.model_validate({**data, "sources": sources})
    except ValidationError as error:
        raise SourcesError(problems + validation_problems(error, where)) from None
    if not problems:  # a source already refused would be named again by every route to it
        problems = [f"{where}: {line}" for line in _route_problems(config, platforms)]
    if problems:
        raise SourcesError(problems)
    secrets: dict[tuple[str, str], str] = {}
    missing = []
    for tenant, spec in config.tenants.items():
        wanted = [((tenant, source), var) for source, var in spec.credentials.items()]
        wanted += [((tenant, n.phone), n.key_env or n.key_id_env or "") for n in spec.numbers]
        for key, var in wanted:
            if env.get(var):
                secrets[key] = env[var]
            else:
                missing.append(var)
    if missing:
        raise SourcesError(
            [
                f"sources file {path}: it names the environment variable {var}, which is not set"
                for var in sorted(set(missing))
            ]
        )
    return config, secrets
