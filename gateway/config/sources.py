"""The sources file: which upstream platforms exist, and which tenant's data lives where.

    [sources.ps]                       # a source: one platform endpoint
    platform = "pilotstatus"           # pilotstatus, messagesender or emailreports
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
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

__all__ = [
    "SourceConfig",
    "SourcesConfig",
    "SourcesError",
    "TenantSources",
    "UpstreamNumber",
    "load_sources",
    "validation_problems",
]

NATIVE = "native"
Platform = Literal["pilotstatus", "messagesender", "emailreports"]


class SourcesError(Exception):
    """The sources file cannot be used as it is; `problems` says why, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def validation_problems(error: ValidationError, where: str) -> list[str]:
    """One line per error pydantic found, without its links and input dumps."""
    lines = []
    for found in error.errors(include_url=False):
        location = ".".join(str(part) for part in found["loc"])
        message = found["msg"].removeprefix("Value error, ")
        if "input" in found and found["type"] not in ("missing", "value_error"):
            message += f" (got {str(found['input'])[:60]!r})"
        lines.append(f"{where}: {location}: {message}" if location else f"{where}: {message}")
    return lines


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    platform: Platform
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
    # The documents do not say how MessageSender and the email API take their key; these say.
    auth_header: str | None = None
    auth_scheme: str | None = None
    # MessageSender types startDate/endDate as ISO dates, so only whole UTC days can be asked;
    # "instant" sends full instants instead, for a server known to take them.
    range_format: Literal["date", "instant"] = "date"

    def auth(self) -> tuple[str, str]:
        """(header, scheme) for this platform's key; scheme '' sends the key bare."""
        defaults = {
            "pilotstatus": ("x-api-key", ""),
            "messagesender": ("x-api-key", ""),
            "emailreports": ("authorization", "Bearer"),
        }
        header, scheme = defaults[self.platform]
        return (
            self.auth_header or header,
            scheme if self.auth_scheme is None else self.auth_scheme,
        )


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

    sources: dict[str, SourceConfig] = Field(default_factory=dict)
    tenants: dict[str, TenantSources] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _references_exist(self) -> SourcesConfig:
        expected = {"sms": "messagesender", "email": "emailreports"}
        for tenant, spec in self.tenants.items():
            for area, platform in expected.items():
                name = getattr(spec, area)
                if name != NATIVE and self.platform(name) != platform:
                    raise ValueError(
                        f"tenant {tenant}: {area} needs a {platform} source, not {name!r}"
                    )
            for number in spec.numbers:
                if self.platform(number.source) != "pilotstatus":
                    raise ValueError(
                        f"tenant {tenant}: number {number.phone} needs a "
                        f"pilotstatus source, not {number.source!r}"
                    )
        return self

    def platform(self, name: str) -> str | None:
        source = self.sources.get(name)
        return None if source is None else source.platform


def load_sources(
    path: Path | None, env: Mapping[str, str] | None = None
) -> tuple[SourcesConfig, dict[tuple[str, str], str]]:
    """The sources file and the credentials it names, as {(tenant, source or phone): secret}."""
    if path is None:
        return SourcesConfig(), {}
    env = os.environ if env is None else env
    try:
        config = SourcesConfig.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except OSError as error:
        raise SourcesError([f"cannot read the sources file {path}: {error.strerror}"]) from None
    except tomllib.TOMLDecodeError as error:
        raise SourcesError([f"sources file {path}: {error}"]) from None
    except ValidationError as error:
        raise SourcesError(validation_problems(error, f"sources file {path}")) from None
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
