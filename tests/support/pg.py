"""A throwaway PostgreSQL server on a loopback port, for the tests and benchmarks.

GATEWAY_TEST_POSTGRES_URL names a server to use instead (a superuser's DSN);
GATEWAY_TEST_POSTGRES_TIMEZONE starts the server with that `TimeZone` (CI runs the native store's
tests once with one far from UTC, so that nothing leans on the server's zone). Otherwise Debian's
packages (`postgresql`) provide initdb and pg_ctl, and a cluster is made in a temp directory,
owned by the `postgres` user when running as root (the server refuses to run as root), trusting
loopback connections only, and removed afterwards.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shlex
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import asyncpg

from tests.support.live import free_port

__all__ = [
    "create_database",
    "drop_database",
    "find_bin",
    "postgres_server",
    "run_aside",
    "set_running",
    "with_database",
]

T = TypeVar("T")


def find_bin(name: str) -> str | None:
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True):
        return candidate
    return shutil.which(name)


def _as_owner(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def postgres_server(*, durable: bool = False, private: bool = False) -> Iterator[str]:
    """Yield a superuser DSN (no database part) of a running server. The tests' server skips
    fsync; a `durable` one (for the benchmarks) flushes every commit, as production would."""
    url = os.environ.get("GATEWAY_TEST_POSTGRES_URL")
    if url and not private:
        yield url.rstrip("/")
        return
    initdb, pg_ctl = find_bin("initdb"), find_bin("pg_ctl")
    if not initdb or not pg_ctl:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="gateway-pg-"))
    data = root / "data"
    port = free_port()
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        subprocess.run(
            _as_owner(
                [
                    initdb,
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            cwd=root,
        )
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        zone = os.environ.get("GATEWAY_TEST_POSTGRES_TIMEZONE")
        if zone:
            options += f" -c timezone={shlex.quote(zone)}"
        start = _as_owner(
            [pg_ctl, "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start"]
        )
        subprocess.run(start, check=True, capture_output=True, cwd=root)
        url = f"postgresql://postgres@127.0.0.1:{port}"
        _CONTROLS[url] = (start, _as_owner([pg_ctl, "-D", str(data), "-m", "fast", "stop"]), root)
        yield url
    finally:
        _CONTROLS.pop(f"postgresql://postgres@127.0.0.1:{port}", None)
        if data.exists():
            subprocess.run(
                _as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "stop"]),
                capture_output=True,
                cwd=root,
            )
        shutil.rmtree(root, ignore_errors=True)


# How to start and stop each server started here, for tests of an outage.
_CONTROLS: dict[str, tuple[list[str], list[str], Path]] = {}


def set_running(server: str, running: bool) -> None:
    """Stop or start again a server that postgres_server(private=True) started."""
    start, stop, root = _CONTROLS[server]
    subprocess.run(start if running else stop, check=True, capture_output=True, cwd=root)


def run_aside(coro: Coroutine[object, object, T]) -> T:
    """Run a coroutine to the end on a thread of its own: callable from sync fixtures and
    finalizers without touching the event loop pytest-asyncio keeps for the test."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _admin(server: str) -> asyncpg.Connection:
    for attempt in range(50):
        try:
            return await asyncpg.connect(f"{server}/postgres")
        except (OSError, asyncpg.PostgresError):
            if attempt == 49:
                raise
            await asyncio.sleep(0.1)
    raise AssertionError("unreachable")


async def create_database(server: str, name: str | None = None, template: str | None = None) -> str:
    """Create a fresh database on `server` (a copy of `template` if given); return its DSN."""
    name = name or f"t_{uuid.uuid4().hex[:12]}"
    conn = await _admin(server)
    try:
        copy = f' TEMPLATE "{template}"' if template else ""
        await conn.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await conn.close()
    return f"{server}/{name}"


def with_database(server: str, name: str | None = None) -> str:
    return run_aside(create_database(server, name))


def drop_database(server: str, name: str) -> None:
    async def drop() -> None:
        conn = await _admin(server)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    run_aside(drop())
