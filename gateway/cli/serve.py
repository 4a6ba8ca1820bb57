"""`gateway serve` and `gateway seed-demo`: the server, and the demo data it starts with."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from gateway.cli.common import settings_from, store_from
from gateway.config.settings import Settings
from gateway.errors import NotFound
from gateway.http.reload import read_files
from gateway.http.serving import serve_once, supervise, worker_ready
from gateway.observability.logs import configure_logging
from gateway.providers.native.demo import DEMO_TENANT, DemoKeys, issue_demo_keys, seed_demo
from gateway.providers.native.store import Store, redacted
from gateway.providers.native.tenancy import Tenancy

__all__ = ["ensure_demo", "seed_demo_command", "serve"]


async def ensure_demo(store: Store) -> DemoKeys | None:
    """Seed demo data into an empty store; fresh demo keys whenever the demo tenant exists."""
    tenancy = Tenancy(store)
    if await tenancy.is_empty():
        print("empty store: seeding demo data ...", file=sys.stderr, flush=True)
        count = await seed_demo(store, datetime.now(UTC))
        print(f"seeded {count} demo messages", file=sys.stderr, flush=True)
    if await tenancy.tenant_name(DEMO_TENANT) is None:
        return None
    return await issue_demo_keys(store)


def _banner(url: str, settings: Settings, keys: DemoKeys | None) -> str:
    lines = [
        f"analytics-gateway on {url}/graphql (GraphiQL in a browser), charts at {url}/dashboard",
        f"store: {redacted(settings.store)}",
    ]
    if keys is None:
        lines.append(
            "no demo keys: make one with `gateway keys create --tenant TENANT` (`gateway init`"
            " prints the first steps for an empty store; docs/own-data.md walks through them)"
        )
    else:
        query = "{ dashboard(period: DAYS_7) { totals { sent delivered read deliveryRate } } }"
        lines += [
            f'demo keys for tenant "{keys.tenant_id}" (new at each start, old ones revoked):',
            f"  number-scoped key  {keys.number_key}   ({keys.number})",
            f"  tenant-scoped key  {keys.tenant_key}",
            'in GraphiQL, set the header {"x-api-key": "<key>"}; or with curl:',
            f"  curl -s {url}/graphql -H 'x-api-key: {keys.number_key}' "
            f"-H 'content-type: application/json' -d '{json.dumps({'query': query})}'",
        ]
    return "\n".join(lines)


async def serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    configure_logging(settings.log_level, settings.log_format, settings.access_log)
    if args.worker:
        await serve_once(settings, reuse_port=True, ready=worker_ready(args.ready_fd))
        return 0
    keys = None
    if settings.demo or settings.workers > 1:
        # The store is opened (and migrated) once here, so that workers never race to migrate
        # it, and the demo data is there before the banner. A single process without demo data
        # opens and migrates it itself, with its probes answering meanwhile.
        async with store_from(args, create=True) as store:
            if settings.demo:
                keys = await ensure_demo(store)
    read_files(settings)  # a bad sources file or manifest stops here, before any worker

    def ready(url: str) -> None:
        print(_banner(url, settings, keys), flush=True)

    if settings.workers > 1:
        return await supervise(settings, ready)
    await serve_once(settings, ready=ready)
    return 0


async def seed_demo_command(args: argparse.Namespace) -> int:
    async with store_from(args, create=True) as store:
        keys = await ensure_demo(store)
    if keys is None:
        raise NotFound("the store has data but no demo tenant; use an empty --data-dir")
    if args.json:
        print(
            json.dumps(
                {
                    "tenant": keys.tenant_id,
                    "tenantKey": keys.tenant_key,
                    "numberKey": keys.number_key,
                    "number": keys.number,
                }
            )
        )
    else:
        print(
            f"tenant-scoped key: {keys.tenant_key}\n"
            f"number-scoped key: {keys.number_key} ({keys.number})"
        )
    return 0
