"""Boundary models of what the gateway reads from upstream answers: the documented keys only (a
platform may add others, and they are ignored), counts that fit GraphQL's Int, and times within
the years the gateway works with. Anything else is the upstream's error, named by its source."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
)

from gateway.errors import UpstreamError

__all__ = [
    "INT_MAX",
    "Count",
    "Day",
    "Moment",
    "Shape",
    "Signed",
    "fit_int",
    "validated",
]

M = TypeVar("M")

# GraphQL's Int is 32 bits: a count beyond it cannot be answered, so it is refused where it
# enters, as the upstream's error, instead of failing while the answer is written.
INT_MAX = 2**31 - 1
FIRST, END = datetime(1800, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _in_years(moment: datetime) -> datetime:
    if not FIRST <= moment < END:
        raise ValueError("a time outside the years 1800 to 2199")
    return moment


def _day_in_years(day: date) -> date:
    if not FIRST.date() <= day < END.date():
        raise ValueError("a date outside the years 1800 to 2199")
    return day


def _fits(value: int) -> int:
    if not -INT_MAX - 1 <= value <= INT_MAX:
        raise ValueError(f"a count beyond GraphQL's Int ({INT_MAX})")
    return value


Count = Annotated[int, Field(ge=0), AfterValidator(_fits)]
Signed = Annotated[int, AfterValidator(_fits)]
Moment = Annotated[AwareDatetime, AfterValidator(_in_years)]
Day = Annotated[date, AfterValidator(_day_in_years)]


class Shape(BaseModel):
    """An upstream object: the keys the gateway reads, whatever else it carries."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


def fit_int(*parts: int) -> None:
    """For validators of figures the graph adds up (a total of sent and failed, say)."""
    if sum(parts) > INT_MAX:
        raise ValueError(f"counts that add up beyond GraphQL's Int ({INT_MAX})")


def validated(shape: TypeAdapter[M], data: object, source: str, what: str, status: int) -> M:
    """`data` as `shape`, or the upstream's error saying where it differs."""
    try:
        return shape.validate_python(data)
    except ValidationError as error:
        raise UpstreamError(
            f"{source} answered {what} in an unexpected shape: {_first(error)}",
            source=source,
            upstreamStatus=status,
        ) from None


def _first(error: ValidationError) -> str:
    # Locations are the documented keys and list indexes; the input itself is never quoted.
    found = error.errors(include_url=False, include_input=False, include_context=False)[0]
    where = ".".join(str(part) for part in found["loc"]) or "the body"
    return f"{where}: {found['msg']}"[:200]
