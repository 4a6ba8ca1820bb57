"""Global IDs: opaque strings naming an entity's type, its source and its id at that source."""

from __future__ import annotations

import base64
import binascii

from gateway.errors import BadUserInput

__all__ = ["decode_id", "encode_id", "type_of_id"]


def encode_id(type_name: str, source: str, local_id: str | int) -> str:
    raw = f"{type_name}:{source}:{local_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def type_of_id(value: str) -> str:
    """The type a global id names; BAD_USER_INPUT for anything that is not one."""
    try:
        padded = value + "=" * (-len(value) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode().split(":", 2)[0]
    except (ValueError, binascii.Error, UnicodeError):
        raise BadUserInput(f"{value!r} is not an id", argument="id") from None


def decode_id(value: str, type_name: str) -> tuple[str, str]:
    """(source, local id) of a global ID that must name a `type_name`."""
    try:
        padded = value + "=" * (-len(value) % 4)
        found_type, source, local_id = (
            base64.urlsafe_b64decode(padded.encode()).decode().split(":", 2)
        )
    except (ValueError, binascii.Error, UnicodeError):
        raise BadUserInput(f"{value!r} is not an id", argument="id") from None
    if found_type != type_name or not source or not local_id:
        raise BadUserInput(f"{value!r} is not a {type_name} id", argument="id")
    return source, local_id
