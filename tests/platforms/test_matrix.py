"""The capability matrix in the docs is the one the platforms' declarations make: a test fails
when a declaration changes and docs/platforms.md is not regenerated (`gateway platforms
--matrix`), and when the page is edited by hand."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.platforms import FIELDS, load_platforms
from gateway.platforms.matrix import (
    BEGIN,
    END,
    METHODS_BEGIN,
    METHODS_END,
    capability_matrix,
    methods_table,
)
from gateway.providers.upstream import UpstreamProvider

PAGE = Path(__file__).parents[2] / "docs" / "platforms.md"
# The platforms the repository ships: the built-in ones and SendGrid's package.
SHIPPED = {"analytics-gateway", "analytics-gateway-sendgrid"}


@pytest.mark.usefixtures("sendgrid_package")
def test_the_matrix_in_the_docs_is_the_declarations() -> None:
    platforms = [p for p in load_platforms().available.values() if p.package in SHIPPED]
    assert {p.name for p in platforms} == {
        "pilotstatus",
        "messagesender",
        "emailreports",
        "sendgrid",
    }
    text = PAGE.read_text()
    documented = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert documented == capability_matrix(platforms), "run gateway platforms --matrix"


@pytest.mark.usefixtures("sendgrid_package")
def test_the_matrix_says_which_fields_sendgrid_counts_in_utc_only() -> None:
    sendgrid = load_platforms().get("sendgrid")
    assert sendgrid is not None
    rows = [row for row in capability_matrix([sendgrid]).splitlines() if "UTC only" in row]
    assert len(rows) == 3  # the dashboard's, overall's and histogram's timezone


@pytest.mark.usefixtures("sendgrid_package")
def test_the_matrix_says_which_figures_sendgrid_answers_for_one_day_only() -> None:
    sendgrid = load_platforms().get("sendgrid")
    assert sendgrid is not None
    rows = [row for row in capability_matrix([sendgrid]).splitlines() if "1 only" in row]
    # The dashboard's and overall's pastDays; the histogram's days are each exact.
    assert rows == ["| email |  | `pastDays` | 1 only for clicked, opened |"] * 2


def test_the_docs_say_which_methods_answer_each_field() -> None:
    text = PAGE.read_text()
    documented = text[text.index(METHODS_BEGIN) : text.index(METHODS_END) + len(METHODS_END)]
    assert documented == methods_table()
    for field in FIELDS:
        for method in field.methods:
            assert callable(getattr(UpstreamProvider, method)), (field.coordinate, method)
    # And every method an adapter may answer with is some field's, the numbers' listing aside
    # (the native store's).
    answering = {
        name
        for name in vars(UpstreamProvider)
        if name.startswith(("load_", "page_", "count_")) and not name.endswith("numbers")
    }
    assert answering == {method for field in FIELDS for method in field.methods}
