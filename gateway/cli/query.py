"""`gateway query`: send a document to a running gateway, or to one started in this process for
the one request, and print the answer readably."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from gateway.errors import BadUserInput

__all__ = ["parse_variables", "render"]


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


def render(answer: dict[str, Any]) -> tuple[str, str]:
    """The data as indented JSON, and the errors one a line with their code and path."""
    data = json.dumps(answer.get("data"), indent=2, ensure_ascii=False)
    lines = []
    for error in answer.get("errors") or []:
        code = (error.get("extensions") or {}).get("code", "?")
        path = ".".join(str(p) for p in error.get("path") or [])
        lines.append(f"{code}{f' at {path}' if path else ''}: {error.get('message')}")
    return data, "\n".join(lines)
