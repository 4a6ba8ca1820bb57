"""Webhook sources: named endpoints, each for one tenant and platform, with a signing secret,
and whether an unknown number in their events registers one."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.errors import BadUserInput, NotFound
from gateway.providers.native.store import Store

__all__ = ["WebhookSource", "WebhookSources"]


@dataclass(frozen=True)
class WebhookSource:
    name: str
    tenant_id: str
    platform: str
    secret: str
    # On unless asked otherwise: a Pilot Status number appears in the gateway by its first
    # message, as it does on the platform; the tenant's bound of numbers caps what one
    # source's secret can grow.
    register_numbers: bool = True


class WebhookSources:
    """The store's webhook sources; `platforms`, when given, are the names a new one may take
    (the installed platforms' webhook names, which the layers above know)."""

    def __init__(self, store: Store, platforms: Sequence[str] | None = None) -> None:
        self.store = store
        self.platforms = platforms

    async def create(
        self,
        tenant_id: str,
        platform: str,
        name: str | None = None,
        *,
        register_numbers: bool = True,
    ) -> WebhookSource:
        if self.platforms is not None and platform not in self.platforms:
            raise BadUserInput(f"platform must be one of {', '.join(self.platforms)}")
        if await self.store.fetch_one("SELECT 1 FROM tenants WHERE id = ?", (tenant_id,)) is None:
            raise NotFound(f"no tenant {tenant_id!r}")
        name = name or f"{platform}-{tenant_id}-{secrets.token_hex(3)}"
        if not name.replace("-", "").replace("_", "").isalnum():
            raise BadUserInput("a source name is letters, digits, - and _")
        secret = "whsec_" + secrets.token_urlsafe(32)
        source = WebhookSource(name, tenant_id, platform, secret, register_numbers)
        async with self.store.write() as db:
            if await db.fetch_one("SELECT 1 FROM webhook_sources WHERE name = ?", (name,)):
                raise BadUserInput(f"a webhook source named {name!r} exists already")
            await db.execute(
                "INSERT INTO webhook_sources (name, tenant_id, platform, secret, created_at, "
                "register_numbers) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    source.name,
                    tenant_id,
                    platform,
                    source.secret,
                    int(time.time()),
                    int(register_numbers),
                ),
            )
        return source

    async def find(self, name: str) -> WebhookSource | None:
        row = await self.store.fetch_one(
            "SELECT * FROM webhook_sources WHERE name = ? AND revoked_at IS NULL", (name,)
        )
        if row is None:
            return None
        return WebhookSource(
            row["name"],
            row["tenant_id"],
            row["platform"],
            row["secret"],
            bool(row["register_numbers"]),
        )

    async def revoke(self, name: str) -> None:
        async with self.store.write() as db:
            changed = await db.execute(
                "UPDATE webhook_sources SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL",
                (int(time.time()), name),
            )
            if changed == 0:
                raise NotFound(f"no active webhook source {name!r}")
