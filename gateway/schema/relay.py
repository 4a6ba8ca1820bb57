"""Relay's `node(id:)`: any object by its global id, within what the key may see."""

from __future__ import annotations

from typing import Annotated

import strawberry

from gateway.errors import BadUserInput
from gateway.schema.args import Info
from gateway.schema.campaigns import TYPE_NAMES, find_campaign
from gateway.schema.ids import type_of_id
from gateway.schema.node import Node
from gateway.schema.numbers import find_number

__all__ = ["NodeQueries"]

CAMPAIGN_TYPES = frozenset(TYPE_NAMES.values())


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by its global id (a WhatsAppNumber, SmsCampaign or"
        " EmailCampaign), with the scopes its own field needs; NOT_FOUND for one the key"
        " cannot see."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        kind = type_of_id(id)
        if kind == "WhatsAppNumber":
            return await find_number(info, id)
        if kind in CAMPAIGN_TYPES:
            return await find_campaign(info, id)
        raise BadUserInput(f"{id!r} is not the id of a node", argument="id")
