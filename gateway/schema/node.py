"""Relay's `Node`: every object with a global id, which `node(id:)` fetches again."""

from __future__ import annotations

import strawberry

__all__ = ["Node"]


@strawberry.interface(
    description="An object with a global id; `node(id:)` fetches it again, as Relay expects."
)
class Node:
    @strawberry.field(description="The object's global id.")
    def id(self) -> strawberry.ID:
        raise NotImplementedError  # each type names its own
