"""Pinned Node packages (package.json, package-lock.json) that check the gateway the way other
tools see it: graphql-http's GraphQL over HTTP audits, and the graphql-sse client."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.support.npm import installed

__all__ = ["HERE", "install", "node"]

HERE = Path(__file__).parent


def install() -> Path:
    """This folder with its pinned packages installed (tests/support/npm.py: once per lockfile,
    however many test processes ask); skips without Node.js, except where GATEWAY_REQUIRE_NODE=1."""
    installed(HERE, "graphql-http and graphql-sse")
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
