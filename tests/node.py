"""The examples' npm packages (pinned in examples/package-lock.json), installed once per run,
and the example processes a test starts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def _installed(modules: Path) -> bool:
    """Whether every package a workspace of examples/ depends on is there, at its locked version."""
    locked = json.loads((EXAMPLES / "package-lock.json").read_text())["packages"]
    for workspace in json.loads((EXAMPLES / "package.json").read_text())["workspaces"]:
        package = json.loads((EXAMPLES / workspace / "package.json").read_text())
        for name in package.get("dependencies", {}):
            found = modules / name / "package.json"
            wanted = locked[f"node_modules/{name}"]["version"]
            if not found.is_file() or json.loads(found.read_text())["version"] != wanted:
                return False
    return True


def install_examples() -> Path:
    """examples/node_modules, after `npm ci` if a declared package is missing from it; skips
    the test where Node.js is missing, unless GATEWAY_REQUIRE_NODE=1 (CI)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("GATEWAY_REQUIRE_NODE") == "1":
            pytest.fail("GATEWAY_REQUIRE_NODE=1 but node or npm is missing")
        pytest.skip("needs Node.js and npm for the examples' packages")
    modules = EXAMPLES / "node_modules"
    if not _installed(modules):
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=EXAMPLES,
            check=True,
            timeout=600,
        )
    return modules


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
