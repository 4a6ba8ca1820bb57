"""The event reference's field tables (docs/events.md), written from the event models
themselves, so that the page says what the code takes. `python -m
tests.support.event_reference` rewrites the generated part of the page;
tests/domain/test_event_reference.py fails when the page and the models differ."""

from __future__ import annotations

import sys
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from gateway.domain.billing import CreditProduct, Subscription
from gateway.domain.events import SMS_STATUSES, WHATSAPP_STATUSES, Event

__all__ = ["BEGIN", "END", "PAGE", "reference", "rewritten"]

PAGE = Path(__file__).parents[2] / "docs" / "events.md"
BEGIN = (
    "<!-- generated from gateway/domain/events.py by python -m tests.support.event_reference -->"
)
END = "<!-- end of the generated reference -->"

# Values the models check in a validator of their own, which their schema does not show.
VALUES: dict[str, str] = {
    "creditProducts credits_amount": "0 to 2,147,483,647",
    "creditProducts price_cents": "0 to 2,147,483,647",
}

# What a field means, where its type and values do not say it all.
NOTES: dict[str, str] = {
    "id": "the event's own id; an event without one is identified by its content",
    "tenant": "a webhook fills it in from its source (and refuses another)",
    "whatsapp.message number": "the sending number, E.164; an unknown one registers it (below)",
    "whatsapp.status number": "with `sentAt`, the status stands for its message (and an unknown"
    " number registers, below)",
    "whatsapp.status sentAt": "with `number`, the status stands for its message",
    "status": "a later status never lowers the message's final one",
    "test": "a test send: not counted, no credits",
    "at": "when it happened (default: when received)",
    "email at": "when it happened",
    "kind": "an MMS costs 2 credits, an SMS 1 per started 480 characters",
    "length": "characters of the SMS body",
    "campaign status": "a later status never moves a campaign back",
    "subscription id": "the subscription's id at the platform",
    "creditProducts id": "the product's id at the platform",
    "url": "the clicked link (`click`); absolute http(s), else `URL_NOT_HTTP`",
    "portalUrls": "name -> absolute http(s) URL (up to 2,000 characters) or null, e.g."
    ' `{"billing": "https://..."}`',
    "subscription": "the object below",
    "creditProducts": "a list of the objects below",
    "available": "purchased credits (the opening balance)",
    "included": "this period's subscription credits",
    "delta": "credits added, negative to take",
    "pool": "which pool `delta` goes to",
    "isTextable": "counted as textable",
    "isOptedIn": "false: counted as opted out",
}


def _kind(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    if "anyOf" in schema:
        kinds = [_kind(s, defs) for s in schema["anyOf"] if s.get("type") != "null"]
        return " or ".join(kinds)
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return {"MessageStatus": "text"}.get(name, "object")
    kind = str(schema.get("type"))
    if kind == "array":
        return f"list of {_kind(schema['items'], defs)}"
    if kind == "object":
        return "object"
    if schema.get("format") == "date-time":
        return "time (ISO 8601 with an offset)"
    return {"string": "text", "integer": "integer", "boolean": "boolean"}.get(kind, kind)


def _values(name: str, event_type: str, schema: dict[str, Any]) -> str:
    inner = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), schema)
    if name == "status" and event_type.startswith(("whatsapp.", "sms.")):
        allowed = WHATSAPP_STATUSES if event_type.startswith("whatsapp.") else SMS_STATUSES
        return ", ".join(f"`{v}`" for v in allowed)
    if "const" in inner:
        return f"`{inner['const']}`"
    if "enum" in inner:
        return ", ".join(f"`{v}`" for v in inner["enum"])
    low, high = inner.get("minLength"), inner.get("maxLength")
    if high is not None:
        return f"{low or 0} to {high:,} characters"
    low, high = inner.get("minimum"), inner.get("maximum")
    if low is not None or high is not None:
        return f"{low:,} to {high:,}"
    return ""


def _default(model: type[BaseModel], name: str, event_type: str) -> str:
    field = model.model_fields[name]
    # billing.credits' id is required by a check of its own (two equal purchases are two).
    if field.is_required() or (event_type, name) == ("billing.credits", "id"):
        return "required"
    default = field.get_default(call_default_factory=True)
    if default is None or default in ({}, []):
        return "optional"
    shown = str(getattr(default, "name", default)).lower()
    return f"optional (`{shown}`)"


def _table(model: type[BaseModel], event_type: str, nested: bool = False) -> list[str]:
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    lines = ["| field | type | required | values | meaning |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if alias == "type":
            continue
        prop = schema["properties"][alias]
        own = f"{event_type} {alias}"
        note = NOTES.get(own) or ("" if nested else NOTES.get(alias, ""))
        values = VALUES.get(own) or _values(alias, event_type, prop)
        kind = _kind(prop, defs)
        required = _default(model, name, event_type)
        lines.append(f"| `{alias}` | {kind} | {required} | {values} | {note} |")
    return lines


def _event_models() -> list[type[BaseModel]]:
    union = typing.get_args(Event)[0]
    return list(typing.get_args(union))


def reference() -> str:
    """The generated part of the page."""
    out = [BEGIN, ""]
    for model in _event_models():
        event_type = typing.get_args(model.model_fields["type"].annotation)[0]
        out += [f"### `{event_type}`", ""]
        if model.__doc__:
            out += [" ".join(model.__doc__.split()), ""]
        out += [*_table(model, event_type), ""]
    for title, name, model in (
        ("`billing.account` `subscription`", "subscription", Subscription),
        ("`billing.account` `creditProducts[]`", "creditProducts", CreditProduct),
    ):
        out += [f"### {title}", "", "Other keys in it are ignored.", ""]
        out += [*_table(model, name, nested=True), ""]
    out.append(END)
    return "\n".join(out)


def rewritten(page: str) -> str:
    """The page with its generated part replaced by what the models say now."""
    head, _, rest = page.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + reference() + tail


if __name__ == "__main__":
    PAGE.write_text(rewritten(PAGE.read_text()))
    sys.stdout.write(f"rewrote {PAGE}\n")
