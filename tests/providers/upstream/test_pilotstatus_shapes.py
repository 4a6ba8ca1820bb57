"""Pilot Status's usual answer is read without a model per point, and reads exactly as the
validated shape reads it; anything else is left to the shape, which names what is wrong."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.platforms.builtin.pilotstatus.provider import DASHBOARD, _plain_dashboard


def body(days: int = 30) -> dict[str, Any]:
    series = [
        {
            "date": f"2026-11-{day:02d}",
            "sent": 900 + day,
            "delivered": 850,
            "read": 600,
            "failed": 1,
        }
        for day in range(1, days + 1)
    ]
    return {
        "period": "30d",
        "totals": {"sent": 9, "delivered": 8, "read": 9, "failed": 2},
        "series": series,
    }


def spoiled(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(body())
    target: Any = changed
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return changed


def by_the_shape(data: Any) -> Any:
    validated = DASHBOARD.validate_python(data)
    return validated.totals.sums(), {p.date: p.sums() for p in validated.series}


def test_the_usual_answer_is_read_plainly_and_as_the_shape_reads_it() -> None:
    plain = _plain_dashboard(body())
    assert plain is not None and plain == by_the_shape(body())
    duplicated = body()
    duplicated["series"].append({**duplicated["series"][0], "sent": 5, "extra": "kept out"})
    assert _plain_dashboard(duplicated) == by_the_shape(duplicated)  # the last point wins


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("totals", "sent"), True),
        (("totals", "sent"), 5.0),
        (("totals", "sent"), "5"),
        (("totals", "sent"), -1),
        (("totals", "sent"), 2**31),
        (("totals", "failed"), 2**31 - 5),  # adds up beyond GraphQL's Int
        (("totals", "read"), KeyError),
        (("series", 3, "date"), "2026-02-30"),
        (("series", 3, "date"), "1799-12-31"),
        (("series", 3, "date"), "20261103"),
        (("series", 3, "date"), "2026-11-03T00:00:00"),
        (("series", 3, "date"), KeyError),
        (("series", 3), "a day"),
        (("series",), {"2026-11-01": 1}),
        (("totals",), None),
    ],
)
def test_anything_else_is_left_to_the_shape(path: tuple[Any, ...], value: Any) -> None:
    data = spoiled(path, value)
    plain = _plain_dashboard(data)
    assert plain is None
    with contextlib.suppress(ValidationError):
        by_the_shape(data)  # accepted or refused, the shape decides, as it always did
