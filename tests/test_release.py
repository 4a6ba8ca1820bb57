"""What a release carries: the version, the licence pyproject names, a changelog, and a help
summary that lists every command."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

import gateway
from gateway.cli import build_parser

ROOT = Path(__file__).parent.parent


def project() -> dict[str, object]:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(table, dict)
    return table


def test_version_is_the_distribution_s() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "gateway", "--version"], capture_output=True, text=True, check=True
    )
    assert shown.stdout == f"gateway {project()['version']}\n" == f"gateway {gateway.__version__}\n"


def test_help_lists_every_command() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    summary = parser.format_help()
    assert {"migrate-store", "graphiql-assets", "query", "check", "serve"} <= set(commands.choices)
    for name in commands.choices:
        assert f"    {name}" in summary, name


def test_licence_and_changelog() -> None:
    assert project()["license"] == {"text": "MIT"}
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in changelog and f"## [{project()['version']}]" in changelog
