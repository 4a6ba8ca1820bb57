"""Load for the HTTP benchmarks: wrk when installed, else a Python loop; and CPU time by process."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

__all__ = ["Load", "process_cpu", "python_load", "wrk"]


@dataclass(frozen=True)
class Load:
    """What one round of load made: requests answered 200, and their rate."""

    requests: int
    per_second: float


def wrk(url: str, query: str, key: str, seconds: float, connections: int) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            f'wrk.method = "POST"\nwrk.body = {orjson.dumps({"query": query}).decode()!r}'
            f'\nwrk.headers["content-type"] = "application/json"'
            f'\nwrk.headers["x-api-key"] = "{key}"\n'
        )
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, int(seconds))}s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    assert rate and count, out
    assert "Non-2xx" not in out, out
    return Load(int(count.group(1)), float(rate.group(1)))


async def python_load(url: str, query: str, key: str, seconds: float, connections: int) -> Load:
    done = 0
    deadline = time.perf_counter() + seconds
    payload = orjson.dumps({"query": query})
    # Uncompressed answers, as wrk asks for them (tests.benchmarks.compression measures those).
    headers = {"x-api-key": key, "content-type": "application/json", "accept-encoding": "identity"}

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with session.post(url, data=payload, headers=headers) as response:
                await response.read()
                done += response.status == 200

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(connections)))
    return Load(done, done / (time.perf_counter() - started))


def process_cpu(pid: int) -> float | None:
    """CPU seconds (user and system) of a process and all its descendants, or None where the
    system does not tell (no /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = (proc / str(current) / "stat").read_text().rsplit(")", 1)[1].split()
            children = (proc / str(current) / "task" / str(current) / "children").read_text()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime and stime
        pending += [int(child) for child in children.split()]
    return total
