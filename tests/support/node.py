"""The examples' npm packages (pinned in examples/package-lock.json), installed once per run,
and the example processes a test starts."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from tests.support.npm import installed

EXAMPLES = Path(__file__).parents[2] / "examples"


def install_examples() -> Path:
    """examples/node_modules as examples/package-lock.json pins it (one npm workspace for every
    example); skips the test where Node.js is missing, unless GATEWAY_REQUIRE_NODE=1 (CI)."""
    return installed(EXAMPLES, "the examples' packages")


Start = Callable[..., Awaitable[str]]


@asynccontextmanager
async def processes() -> AsyncIterator[Start]:
    """`start(*command, ready=..., cwd=...)` runs a command until it prints a line containing
    `ready`, and returns that line; whatever was started stops when the block ends, last first."""
    started: list[asyncio.subprocess.Process] = []

    async def start(*command: str, ready: str, cwd: Path | None = None) -> str:
        process = await asyncio.create_subprocess_exec(*command, cwd=cwd, stdout=subprocess.PIPE)
        started.append(process)
        assert process.stdout is not None
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
            if not line:
                raise AssertionError(f"{command} exited before printing {ready!r}")
            if ready in line:
                return line

    try:
        yield start
    finally:
        for process in reversed(started):
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
