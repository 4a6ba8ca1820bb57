"""What every command shares: settings from options and environment, and the store."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path

from gateway.config.settings import Settings, load_settings
from gateway.providers.native.store import Store, open_store

__all__ = ["Command", "overrides_from", "settings_from", "store_from", "store_options"]

Command = Callable[[argparse.Namespace], Coroutine[None, None, int]]


def overrides_from(args: argparse.Namespace) -> dict[str, object]:
    """The settings given as options (those given override the environment's)."""
    return {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "data_dir",
            "database",
            "store_url",
            "demo",
            "graphiql",
            "sources_file",
            "workers",
            "fast_path",
        )
        if getattr(args, name, None) is not None
    }


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(overrides_from(args))


@asynccontextmanager
async def store_from(args: argparse.Namespace, *, create: bool = False) -> AsyncIterator[Store]:
    """The store the options name; only serve and seed-demo create one here (`gateway init`
    opens its own), so that an import run from the wrong directory never fills a new empty
    store with rejections."""
    settings = settings_from(args)
    store = await open_store(
        settings.store,
        create=create,
        statement_cache_size=settings.store_statement_cache_size,
    )
    try:
        yield store
    finally:
        await store.close()


def store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (GATEWAY_DATA_DIR)")
    parser.add_argument("--database", type=Path, help="SQLite file (GATEWAY_DATABASE)")
    parser.add_argument(
        "--store-url",
        help="postgresql://... or sqlite:///path (GATEWAY_STORE_URL); wins over --database",
    )
