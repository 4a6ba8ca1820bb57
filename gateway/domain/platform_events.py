"""Platform webhook bodies translated into the gateway's events: the generic part.

Each platform plugin brings its own `WebhookShapes`: the name its webhook sources are created
with, the gateway event kinds its sources may send (`kinds`), the function that turns one of
its bodies into a gateway event, and, if it signs its webhooks its own way, the check of that
signature. This module names no platform: it holds what every platform's events go through.

A body that already has a "type" is taken as a gateway event as it is. Either way a source
takes only its platform's kinds (`takes`). A source of the platform `gateway` takes the
gateway's own events of every kind, and must be created as such: a WhatsApp source's secret
never moves credits.

Kinds are gateway event types ("sms.message", "contact", ...), with campaigns told apart by
channel ("campaign/sms", "campaign/email").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "EVENT_NOT_FOR_SOURCE",
    "GATEWAY_EVENTS",
    "KNOWN_KINDS",
    "Raw",
    "SignatureCheck",
    "WebhookShapes",
    "need",
    "takes",
    "translate",
]

# The refusal's code for an event outside its source's platform.
EVENT_NOT_FOR_SOURCE = "EVENT_NOT_FOR_SOURCE"

Raw = dict[str, Any]

# (secret, raw body, signature header, now in unix seconds, tolerance in seconds) -> None when
# the header signs this body recently enough, else why not.
SignatureCheck = Callable[[str, bytes, str, float, float], "str | None"]

# Every kind of gateway event an area has; a kind outside these is left to validation to name.
KNOWN_KINDS = frozenset(
    {
        "whatsapp.message",
        "whatsapp.status",
        "sms.message",
        "sms.status",
        "campaign/sms",
        "campaign/email",
        "contact",
        "billing.account",
        "billing.credits",
        "email",
        "campaign",
    }
)


@dataclass(frozen=True)
class WebhookShapes:
    """A platform's webhooks: how its bodies become gateway events, and which it may send."""

    platform: str  # the name webhook sources of this platform are created with
    kinds: frozenset[str]
    translator: Callable[[Raw], Raw]
    # None: the gateway's own signature (x-gateway-signature, HMAC-SHA256 of "<t>." + body).
    signature_check: SignatureCheck | None = None
    signature_header: str | None = None


def _gateway(body: Raw) -> Raw:
    raise ValueError("a gateway source takes the gateway's own events, each with its type")


# The gateway's own events, of every kind: not a platform, the format every platform maps into.
GATEWAY_EVENTS = WebhookShapes("gateway", KNOWN_KINDS, _gateway)


def need(body: Raw, *names: str) -> None:
    """ValueError naming the fields a platform's body lacks."""
    missing = [name for name in names if body.get(name) in (None, "")]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")


def takes(shapes: WebhookShapes, raw: Raw) -> bool:
    """Whether a source of this platform may send this gateway event (as translate made it).
    A type no area knows, or a campaign without a channel, is left to validation to name."""
    if shapes is GATEWAY_EVENTS:
        return True
    kind = raw.get("type")
    if not isinstance(kind, str):
        return True  # no type validation knows either: it names the problem
    if kind == "campaign" and raw.get("channel") in ("sms", "email"):
        kind = f"campaign/{raw['channel']}"
    elif kind == "campaign":
        return any(area.startswith("campaign/") for area in shapes.kinds)
    elif kind not in KNOWN_KINDS:
        return True
    return kind in shapes.kinds


def translate(shapes: WebhookShapes, body: object) -> Raw:
    """One webhook event as a gateway event (without its tenant); ValueError says why not."""
    if not isinstance(body, dict):
        raise ValueError("an event must be a JSON object")
    if "type" in body:
        return dict(body)
    raw = shapes.translator(body)
    return {key: value for key, value in raw.items() if value is not None}
