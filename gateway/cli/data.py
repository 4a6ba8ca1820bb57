"""`gateway import` and `gateway migrate-store`: data into and between stores."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from gateway.cli.common import settings_from, store_from
from gateway.config.settings import StoreUrlError, store_url
from gateway.errors import NotFound
from gateway.providers.native import PostgresStore, SqliteStore
from gateway.providers.native.copy import copy_store
from gateway.providers.native.importer import ImportSummary, import_lines, rejects_path
from gateway.providers.native.ingest.numbers import NumberRule
from gateway.providers.native.store import NoStoreError, redacted, sqlite_path

__all__ = ["import_command", "migrate_store_command"]


async def import_command(args: argparse.Namespace) -> int:
    source: Path = args.file
    if not source.is_file():
        raise NotFound(f"no file {source}")
    rejected_to: Path = args.rejects or rejects_path(source)

    size = max(source.stat().st_size, 1)
    read = 0

    def counted(lines: Iterable[bytes]) -> Iterator[bytes]:
        nonlocal read
        for line in lines:
            read += len(line)
            yield line

    def progress(summary: ImportSummary) -> None:
        done = min(read / size, 1.0)
        bar = "#" * round(done * 24)
        print(
            f"\r[{bar:<24}] {done:4.0%}  {summary.lines} lines, {summary.applied} applied,"
            f" {summary.rejected} rejected ({summary.rate:,.0f} lines/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    summary = ImportSummary()
    rule = NumberRule(args.register_numbers, settings_from(args).max_numbers_per_tenant)
    async with store_from(args) as store:
        # Bytes: each line is decoded on its own, so a bad byte is that line's rejection.
        with source.open("rb") as lines, rejected_to.open("w", encoding="utf-8") as rejects:
            try:
                await import_lines(store, counted(lines), rejects, progress, summary, rule)
            finally:
                print(file=sys.stderr)
                _print_summary(summary, rejected_to)
    if summary.rejected == 0:
        rejected_to.unlink()
    # Lines refused and none taken (applied now or before): a wrong file or store.
    return 1 if summary.rejected and not (summary.applied or summary.duplicates) else 0


def _print_summary(summary: ImportSummary, rejected_to: Path) -> None:
    report = {
        "lines": summary.lines,
        "applied": summary.applied,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "rejectedTo": str(rejected_to) if summary.rejected else None,
        "seconds": round(summary.seconds, 3),
        "linesPerSecond": round(summary.rate),
    }
    print(json.dumps(report), flush=True)


async def migrate_store_command(args: argparse.Namespace) -> int:
    source_url, target_url = store_url(args.source), store_url(args.target)
    if not source_url.startswith("sqlite://") or target_url.startswith("sqlite://"):
        raise StoreUrlError("copies go from sqlite:///path to postgresql://...")
    if not sqlite_path(source_url).is_file():
        raise NoStoreError(str(sqlite_path(source_url)))
    source = await SqliteStore.open(sqlite_path(source_url))
    try:
        cache = settings_from(args).store_statement_cache_size  # 0 behind PgBouncer
        target = await PostgresStore.open(target_url, statement_cache_size=cache)
        try:
            copied: dict[str, int] = {}

            def progress(table: str, rows: int) -> None:
                copied[table] = copied.get(table, 0) + rows
                print(f"\r{table}: {copied[table]:,} rows", end="", file=sys.stderr, flush=True)

            report = await copy_store(source, target, chunk=args.chunk, progress=progress)
        finally:
            await target.close()
    finally:
        await source.close()
    print("\r", end="", file=sys.stderr)
    for line in report:
        print(f"{line.table:<24} {line.source_rows:>12,} rows, {line.target_rows:>12,} copied")
    print(f"copied and verified {len(report)} tables into {redacted(target_url)}")
    return 0
