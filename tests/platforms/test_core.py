"""The core names no platform: every platform, the built-in ones included, is a plugin that the
gateway finds through its entry point. Only the built-ins' own packages, the fakes the tests and
demos run against, and the hint saying which package provides a platform published apart from
the gateway may spell a platform's name in code."""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).parents[2] / "gateway"
NAMES = {"pilotstatus", "messagesender", "emailreports", "sendgrid"}
OWN = (GATEWAY / "platforms" / "builtin", GATEWAY / "testing")
HINTS = {(GATEWAY / "platforms" / "catalog.py", "sendgrid")}


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            found.add(id(body[0].value))
    return found


def test_the_core_names_no_platform() -> None:
    named = []
    for path in sorted(GATEWAY.rglob("*.py")):
        if any(own in path.parents for own in OWN):
            continue
        tree = ast.parse(path.read_text())
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and id(node) not in docstrings
                and node.value in NAMES
                and (path, node.value) not in HINTS
            ):
                named.append(f"{path.relative_to(GATEWAY.parent)}:{node.lineno} {node.value}")
    assert named == []
