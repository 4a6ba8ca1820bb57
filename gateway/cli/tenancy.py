"""`gateway keys|tenants|numbers|webhooks`: who may ask, and who may send events."""

from __future__ import annotations

import argparse
import json
import sys

import gateway.platforms
from gateway.cli.common import store_from
from gateway.domain.auth import ALL_SCOPES, KeyKind, default_scopes
from gateway.errors import BadUserInput, NotFound
from gateway.http.webhooks import SIGNATURE_HEADER
from gateway.providers.native.tenancy import KeyRecord, NumberRecord, Tenancy
from gateway.providers.native.webhook_sources import WebhookSources

__all__ = [
    "keys_create",
    "keys_list",
    "keys_revoke",
    "numbers_add",
    "tenants_create",
    "webhooks_create",
    "webhooks_revoke",
]


async def keys_create(args: argparse.Namespace) -> int:
    kind = KeyKind(args.kind) if args.kind else (KeyKind.NUMBER if args.number else KeyKind.TENANT)
    if kind is KeyKind.TENANT and args.number:
        raise BadUserInput("a tenant-scoped key cannot be linked to a number")
    scopes = frozenset(args.scope) if args.scope else default_scopes(kind)
    if unknown := scopes - ALL_SCOPES:
        raise BadUserInput(f"unknown scope(s) {sorted(unknown)}; known: {sorted(ALL_SCOPES)}")
    async with store_from(args) as store:
        tenancy = Tenancy(store)
        number_id = None
        if args.number:
            number = await tenancy.find_number(args.tenant, args.number)
            if number is None:
                raise NotFound(f"tenant {args.tenant!r} has no number {args.number!r}")
            number_id = number.id
        issued = await tenancy.create_key(
            args.tenant, kind, scopes, number_id=number_id, label=args.label
        )
    shown = {
        "handle": issued.handle,
        "key": issued.key,
        "keyId": issued.key_id,
        "tenant": args.tenant,
        "kind": kind.value,
        "number": args.number,
        "scopes": sorted(scopes),
    }
    if args.json:
        print(json.dumps(shown))
    else:
        print("\n".join(f"{name}: {value}" for name, value in shown.items()))
        print("the key and key id are shown only now; store them safely", file=sys.stderr)
    return 0


async def keys_revoke(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        record = await Tenancy(store).revoke_key(args.key)
    print(f"revoked {record.handle} (tenant {record.tenant_id})")
    return 0


async def keys_list(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        tenancy = Tenancy(store)
        records = await tenancy.list_keys(args.tenant)
        linked = [r.number_id for r in records if r.number_id is not None]
        numbers = await tenancy.numbers_by_id(args.tenant, linked)
    for r in records:
        state = "revoked" if r.revoked_at else "active"
        print(
            f"{r.handle}  {state:7}  {_key_scope(r, numbers):<24}  "
            f"scopes={','.join(sorted(r.scopes)) or '(none)'}  label={r.label or ''}"
        )
    return 0


def _key_scope(record: KeyRecord, numbers: dict[int, NumberRecord]) -> str:
    """What a key sees, in the user's terms: the whole tenant, or one phone number."""
    if record.kind is KeyKind.TENANT:
        return "tenant"
    if record.number_id is None:
        return "number (none linked)"
    number = numbers.get(record.number_id)
    return f"number {number.phone_number}" if number else "number (removed)"


async def tenants_create(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        await Tenancy(store).create_tenant(args.tenant_id, args.name or args.tenant_id)
    print(f"tenant {args.tenant_id} ready")
    return 0


async def numbers_add(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        record = await Tenancy(store).add_number(args.tenant, args.phone, args.name)
    print(f"number {record.phone_number} (id {record.id}) for tenant {record.tenant_id}")
    return 0


async def webhooks_create(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        platforms = gateway.platforms.load_platforms().webhook_platforms()
        source = await WebhookSources(store, platforms).create(
            args.tenant, args.platform, args.name, register_numbers=args.register_numbers
        )
    print(
        json.dumps(
            {
                "name": source.name,
                "url": f"/webhooks/{source.name}",
                "platform": source.platform,
                "tenant": source.tenant_id,
                "registerNumbers": source.register_numbers,
                "secret": source.secret,
                "signatureHeader": f"{SIGNATURE_HEADER}: t=<unix seconds>,sha256=<hex "
                "HMAC-SHA256, keyed with the secret, of '<t>.' followed by the body>",
            }
        )
    )
    return 0


async def webhooks_revoke(args: argparse.Namespace) -> int:
    async with store_from(args) as store:
        await WebhookSources(store).revoke(args.name)
    print(f"revoked webhook source {args.name}")
    return 0
