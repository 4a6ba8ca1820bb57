"""`gateway query`: send a document to a running gateway, or to one started in this process for
the one request, and print the answer readably."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web

from gateway.config.settings import Settings
from gateway.errors import BadUserInput
from gateway.http.app import create_app

__all__ = ["ask", "ask_in_process", "parse_variables", "render"]


def parse_variables(pairs: Sequence[str]) -> dict[str, Any]:
    """`name=value` pairs; a value that reads as JSON (5, true, null, [..], {..}) is taken as
    such, any other as a string: --var first=5 --var timezone=Europe/Berlin."""
    variables: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise BadUserInput(f"--var {pair!r}: write name=value")
        try:
            variables[name] = json.loads(value)
        except ValueError:
            variables[name] = value
    return variables


async def ask(
    url: str, key: str | None, document: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    headers = {"x-api-key": key} if key else {}
    payload = {"query": document, "variables": variables}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=payload, headers=headers) as response,
    ):
        answer: dict[str, Any] = await response.json(content_type=None)
        return response.status, answer


async def ask_in_process(
    settings: Settings, key: str | None, document: str, variables: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """The same request, to a gateway on the store of `settings` started here on a free
    loopback port for it, then stopped."""
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        return await ask(f"http://{host}:{port}/graphql", key, document, variables)
    finally:
        await runner.cleanup()


def render(answer: dict[str, Any]) -> tuple[str, str]:
    """The data as indented JSON, and the errors one a line with their code and path."""
    data = json.dumps(answer.get("data"), indent=2, ensure_ascii=False)
    lines = []
    for error in answer.get("errors") or []:
        code = (error.get("extensions") or {}).get("code", "?")
        path = ".".join(str(p) for p in error.get("path") or [])
        lines.append(f"{code}{f' at {path}' if path else ''}: {error.get('message')}")
    return data, "\n".join(lines)
