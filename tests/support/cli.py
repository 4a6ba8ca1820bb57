"""A store for the command line's tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gateway.providers.native import SqliteStore


def empty_store(data_dir: Path) -> None:
    """A store as `serve` leaves it on first start, without its demo data."""

    async def create() -> None:
        await (await SqliteStore.open(data_dir / "gateway.sqlite3")).close()

    asyncio.run(create())
