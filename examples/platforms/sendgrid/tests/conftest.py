"""The plugin is tested as a user has it: installed with pip (into a temporary directory, when
the environment does not have it already), never imported from this source tree."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from gateway.testing.plugins import install_plugin


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return  # pytest-xdist's controller collects nothing; each worker installs it
    target = Path(tempfile.mkdtemp(prefix="gateway-sendgrid-"))
    install_plugin("analytics-gateway-sendgrid", Path(__file__).parents[1], target)
