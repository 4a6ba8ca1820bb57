"""Pinned Node packages (package.json, package-lock.json) that check the gateway the way other
tools see it: graphql-http's GraphQL over HTTP audits, and the graphql-sse client."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["HERE", "install", "node"]

HERE = Path(__file__).parent


def install() -> Path:
    """This folder with its packages installed by `npm ci` (again when the lockfile changed);
    skips without Node.js, except where GATEWAY_REQUIRE_NODE=1 (CI)."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("GATEWAY_REQUIRE_NODE") == "1":
            pytest.fail("GATEWAY_REQUIRE_NODE=1 but node or npm is missing")
        pytest.skip("needs Node.js and npm for graphql-http and graphql-sse")
    installed = HERE / "node_modules" / ".package-lock.json"
    lock = HERE / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=HERE,
            check=True,
            timeout=600,
        )
    return HERE


async def node(script: str, *args: str) -> tuple[int, str, str]:
    """Run one of this folder's scripts without blocking the loop (the gateway under test may
    be served by this same loop)."""
    process = await asyncio.create_subprocess_exec(
        "node",
        script,
        *args,
        cwd=HERE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
