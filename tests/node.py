"""The examples' npm packages (pinned in examples/package-lock.json), installed once per run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
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
