"""`gateway init`: an empty store, migrated, and what to do next with one's own data."""

from __future__ import annotations

import argparse
import shlex

from gateway.cli.common import settings_from
from gateway.providers.native.store import NoStoreError, open_store, redacted
from gateway.providers.native.tenancy import Tenancy

__all__ = ["init_command", "next_steps"]


async def init_command(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    where = redacted(settings.store)
    cache = settings.store_statement_cache_size
    try:
        # An existing store is only opened: opening migrates it, and nothing is removed.
        store = await open_store(settings.store, create=False, statement_cache_size=cache)
        existed = True
    except NoStoreError:
        store = await open_store(settings.store, create=True, statement_cache_size=cache)
        existed = False
    try:
        tenants = await Tenancy(store).count_tenants()
    finally:
        await store.close()
    if existed:
        print(
            f"a store is already at {where} ({tenants} tenant(s)): migrated to this version,"
            " nothing removed"
        )
    else:
        print(f"created an empty store at {where}")
    print(next_steps(_store_words(args)))
    if getattr(args, "store_url", None) and redacted(args.store_url) != args.store_url:
        print("(the password shows as ***: give the store URL as here, or set GATEWAY_STORE_URL)")
    return 0


def _store_words(args: argparse.Namespace) -> str:
    """The store options as given, to repeat on every next command."""
    words = []
    for option, name in (
        ("--data-dir", "data_dir"),
        ("--database", "database"),
        ("--store-url", "store_url"),
    ):
        value = getattr(args, name, None)
        if value is not None:
            shown = redacted(str(value)) if name == "store_url" else str(value)
            words.append(f"{option} {shlex.quote(shown)}")
    return (" " + " ".join(words)) if words else ""


def next_steps(store: str) -> str:
    return "\n".join(
        [
            "next steps (the guide: docs/own-data.md):",
            f"  gateway tenants create acme --name 'Acme'{store}",
            f"  gateway numbers add --tenant acme +15550001111{store}",
            f"  gateway keys create --tenant acme{store}  # tenant-scoped: reports, billing",
            f"  gateway keys create --tenant acme --number +15550001111{store}  # one number",
            f"  gateway webhooks create --tenant acme --platform gateway{store}  # URL, secret",
            f"  gateway import events.jsonl{store}",
            f"  gateway serve --no-demo{store}",
        ]
    )
