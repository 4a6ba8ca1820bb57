"""Fixtures of the platform tests: SendGrid's package, installed with pip for the run."""

from __future__ import annotations

import pytest

from tests.support.plugins import install_sendgrid


@pytest.fixture(scope="session")
def sendgrid_package(tmp_path_factory: pytest.TempPathFactory) -> None:
    install_sendgrid(tmp_path_factory)
