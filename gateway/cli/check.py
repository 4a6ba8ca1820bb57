"""`gateway check`: everything start-up would trip over, found without starting."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.cli.common import overrides_from
from gateway.config.settings import (
    Settings,
    SettingsProblems,
    StoreUrlError,
    load_settings,
    unknown_variables,
)
from gateway.config.sources import SourcesError, load_sources
from gateway.platforms import load_platforms
from gateway.providers.native.postgres import PostgresError, reach_postgres
from gateway.providers.native.store import redacted, sqlite_path
from gateway.schema.trusted import ManifestError, check_documents, trusted_documents

__all__ = ["check_command"]

REACH_SECONDS = 5.0
MISSING = (
    "no store there yet; `gateway init` creates an empty one (`gateway serve` creates one"
    " too, with demo data unless --no-demo)"
)


async def check_command(args: argparse.Namespace) -> int:
    problems = list(unknown_variables(os.environ))
    try:
        settings = load_settings(overrides_from(args))
    except SettingsProblems as error:
        # The rest depends on settings that cannot be read; say what can be said.
        problems += error.problems
        return _report(problems, [])
    checked = ["settings"]
    platforms = load_platforms()
    for broken in platforms.broken.values():
        print(f"platform {broken.name} ({broken.package}) is unavailable: {broken.reason}")
    problems += [
        f"platform {platform.name} ({platform.package}) is incomplete: {missing}, so that field"
        " answers UNSUPPORTED_BY_SOURCE"
        for platform in platforms.available.values()
        for missing in platform.missing_methods()
    ]
    try:
        config, _ = load_sources(settings.sources_file, platforms=platforms)
        problems += [
            f"source {name}: its platform {source.platform} is unavailable, so its fields will "
            f"answer UPSTREAM_UNAVAILABLE: {platforms.broken[source.platform].reason}"
            for name, source in config.sources.items()
            if platforms.unavailable(source.platform)
        ]
        if settings.sources_file is not None:
            checked.append(
                f"sources file ({len(config.sources)} sources, {len(config.tenants)} tenants)"
            )
    except SourcesError as error:
        problems += error.problems
    checked.append(f"platforms ({', '.join(platforms.available) or 'none'})")
    try:
        trusted = trusted_documents(settings)
        if trusted.mode != "off" and settings.trusted_documents is not None:
            problems += check_documents(trusted, settings)
            checked.append(f"trusted documents ({len(trusted.bodies)})")
    except ManifestError as error:
        problems.append(f"trusted documents: {error}")
    store = await _reach_store(settings)
    if store is None:
        checked.append(f"store ({redacted(settings.store)})")
    else:
        problems.append(store)
    if settings.redis_url:
        redis = await _reach_redis(settings.redis_url)
        problems += [] if redis is None else [redis]
        checked += ["redis"] if redis is None else []
    return _report(problems, checked)


def _report(problems: list[str], checked: list[str]) -> int:
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"ok: {', '.join(checked)}")
    return 0


async def _reach_store(settings: Settings) -> str | None:
    """Why the store cannot be reached or is not there yet, or None. Nothing is created."""
    url = settings.store
    try:
        if url.startswith("sqlite://"):
            return await asyncio.to_thread(_reach_sqlite, sqlite_path(url))
        if not await reach_postgres(url, REACH_SECONDS):
            return f"store {redacted(url)}: {MISSING}"
    except StoreUrlError as error:
        return f"store: {error}"
    except (OSError, PostgresError, TimeoutError) as error:
        return f"store {redacted(url)}: {error or type(error).__name__}"
    return None


def _reach_sqlite(url_path: Path) -> str | None:
    path = Path("/" + str(url_path).lstrip("/"))
    if not path.exists():
        directory = next(p for p in (path.parent, *path.parents) if p.exists())
        if not os.access(directory, os.W_OK):
            return f"store {path}: not there yet, and {directory} cannot be written to create it"
        return f"store {path}: {MISSING}"
    try:
        # mode=rw: an existing file is opened, never a new one created.
        connection = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=REACH_SECONDS)
        try:
            connection.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        return f"store {path}: {error}"
    return None


async def _reach_redis(url: str) -> str | None:
    client = Redis.from_url(url, socket_connect_timeout=REACH_SECONDS)
    try:
        await client.ping()  # type: ignore[misc]  # redis-py types it for both clients
    except (RedisError, OSError, ValueError) as error:
        return f"redis (GATEWAY_REDIS_URL): {error}"
    finally:
        await client.aclose()
    return None
