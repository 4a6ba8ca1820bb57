"""The event reference (docs/events.md) says what the event models take: each type's fields,
their types, whether they are required and their allowed values, written from the models, so
that a field added, removed or changed in gateway/domain/events.py fails here until the page
is rewritten (`python -m tests.support.event_reference`)."""

from __future__ import annotations

from tests.support.event_reference import BEGIN, END, PAGE, reference


def test_the_event_reference_matches_the_models() -> None:
    page = PAGE.read_text()
    assert page.count(BEGIN) == 1 and page.count(END) == 1
    written = page[page.index(BEGIN) : page.index(END) + len(END)]
    assert written == reference(), "run: python -m tests.support.event_reference"


def test_the_reference_names_every_allowed_value_the_issue_found_missing() -> None:
    text = reference()
    for values in (
        "`draft`, `scheduled`, `sending`, `completed`, `failed`, `canceled`",
        "`active`, `past_due`, `suspended`, `overage_warning`, `archived`",
        "`unlimited`, `per_message`, `full_service`",
        "`queued`, `sent`, `failed`, `delivered`, `read`",
    ):
        assert values in text
    for shape in ("`billing.account` `subscription`", "`billing.account` `creditProducts[]`"):
        assert f"### {shape}" in text
    assert "| `portalUrls` | object | optional |" in text
