"""The short soak: a live gateway under mixed load and bad input for a few seconds. The long
one is `python -m tests.support.soak --seconds 600` (see tests/support/soak.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.soak import soak


async def test_a_short_soak_has_no_server_error_and_loses_nothing(tmp_path: Path) -> None:
    report = await soak(seconds=12, clients=4, data_dir=tmp_path)
    print("\n" + report.summary())
    assert report.problems == []
    assert report.requests > 200 and len(report.acknowledged_messages) > 50
    # Every kind of refusal the mix provokes was met, each with its code.
    expected = {"BAD_USER_INPUT", "UNAUTHENTICATED", "RATE_LIMITED"}
    assert expected <= set(report.codes), report.codes
    assert {200, 400, 401, 429} <= set(report.statuses)
