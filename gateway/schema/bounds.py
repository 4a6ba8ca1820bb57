"""What one unpaged list, or one operation's `_entities` calls, may answer: read by the code
that enforces it and by the cost estimate that prices it, so both speak of the same figure."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.schema.args import Info

__all__ = ["Bounds", "bounds_of"]


@dataclass(frozen=True)
class Bounds:
    max_listed_numbers: int = 100
    max_representations: int = 100


def bounds_of(info: Info) -> Bounds:
    """The bounds of the schema answering `info` (build_schema sets them from the settings)."""
    found = getattr(info.schema, "bounds", None)
    return found if isinstance(found, Bounds) else Bounds()
