"""The `gateway` command: serve, seed-demo, import, keys, tenants, numbers, webhooks,
export-schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from gateway.auth import ALL_SCOPES, KeyKind, default_scopes
from gateway.client import ask, ask_in_process, parse_variables, render
from gateway.domain.platform_events import PLATFORMS
from gateway.errors import BadUserInput, GatewayError, NotFound
from gateway.graphiql import fetch_assets
from gateway.importer import ImportSummary, import_lines, rejects_path
from gateway.logs import configure_logging
from gateway.providers.native import PostgresStore, SqliteStore
from gateway.providers.native.copy import CopyError, copy_store
from gateway.providers.native.demo import DEMO_TENANT, DemoKeys, issue_demo_keys, seed_demo
from gateway.providers.native.store import (
    Store,
    StoreUrlError,
    open_store,
    redacted,
    sqlite_path,
    store_url,
)
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.native.webhook_sources import WebhookSources
from gateway.schema import build_schema
from gateway.schema.sdl import schema_file_sdl
from gateway.serving import ServeError, serve_once, supervise, worker_ready
from gateway.settings import Settings
from gateway.sources import SourcesError, load_sources
from gateway.trusted import ManifestError, check_documents, load_manifest, trusted_documents
from gateway.webhooks import SIGNATURE_HEADER

__all__ = ["main"]

Command = Callable[[argparse.Namespace], Coroutine[None, None, int]]


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {
        name: getattr(args, name)
        for name in (
            "host",
            "port",
            "data_dir",
            "database",
            "store_url",
            "demo",
            "graphiql",
            "sources_file",
            "workers",
            "fast_path",
        )
        if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


@asynccontextmanager
async def _store(args: argparse.Namespace) -> AsyncIterator[Store]:
    store = await open_store(_settings(args).store)
    try:
        yield store
    finally:
        await store.close()


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
    if keys is not None:
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
    settings = _settings(args)
    configure_logging(settings.log_level, settings.log_format, settings.access_log)
    if args.worker:
        await serve_once(settings, reuse_port=True, ready=worker_ready(args.ready_fd))
        return 0
    keys = None
    # The store is opened (and migrated) once here, so that workers never race to migrate it.
    async with _store(args) as store:
        if settings.demo:
            keys = await ensure_demo(store)
    load_sources(settings.sources_file)  # a bad sources file stops here, before any worker
    trusted_documents(settings)  # and so does a bad manifest of trusted documents

    def ready(url: str) -> None:
        print(_banner(url, settings, keys), flush=True)

    if settings.workers > 1:
        return await supervise(settings, ready)
    await serve_once(settings, ready=ready)
    return 0


async def trusted_documents_command(args: argparse.Namespace) -> int:
    settings = Settings(demo=False)
    manifest = load_manifest(args.file, "only")
    problems = check_documents(manifest, settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(manifest.bodies)} documents, {len(problems)} with problems")
    return 1 if problems else 0


async def seed_demo_command(args: argparse.Namespace) -> int:
    async with _store(args) as store:
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


async def keys_create(args: argparse.Namespace) -> int:
    kind = KeyKind(args.kind) if args.kind else (KeyKind.NUMBER if args.number else KeyKind.TENANT)
    if kind is KeyKind.TENANT and args.number:
        raise BadUserInput("a tenant-scoped key cannot be linked to a number")
    scopes = frozenset(args.scope) if args.scope else default_scopes(kind)
    if unknown := scopes - ALL_SCOPES:
        raise BadUserInput(f"unknown scope(s) {sorted(unknown)}; known: {sorted(ALL_SCOPES)}")
    async with _store(args) as store:
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
    async with _store(args) as store:
        record = await Tenancy(store).revoke_key(args.key)
    print(f"revoked {record.handle} (tenant {record.tenant_id})")
    return 0


async def keys_list(args: argparse.Namespace) -> int:
    async with _store(args) as store:
        records = await Tenancy(store).list_keys(args.tenant)
    for r in records:
        state = "revoked" if r.revoked_at else "active"
        print(
            f"{r.handle}  {r.kind.value:6}  {state:7}  number={r.number_id}  "
            f"scopes={' '.join(sorted(r.scopes))}  label={r.label or ''}"
        )
    return 0


async def tenants_create(args: argparse.Namespace) -> int:
    async with _store(args) as store:
        await Tenancy(store).create_tenant(args.tenant_id, args.name or args.tenant_id)
    print(f"tenant {args.tenant_id} ready")
    return 0


async def numbers_add(args: argparse.Namespace) -> int:
    async with _store(args) as store:
        record = await Tenancy(store).add_number(args.tenant, args.phone, args.name)
    print(f"number {record.phone_number} (id {record.id}) for tenant {record.tenant_id}")
    return 0


async def graphiql_assets_command(args: argparse.Namespace) -> int:
    directory = _settings(args).graphiql_assets_path
    try:
        assets = await asyncio.to_thread(fetch_assets, directory)
    except (OSError, RuntimeError) as problem:
        raise ServeError(f"could not fetch GraphiQL's files: {problem}") from None
    for asset in assets:
        print(f"{asset.local}  sha384 ok", file=sys.stderr)
    print(f"GraphiQL's {len(assets)} files are in {directory}; /graphql serves them from there")
    return 0


async def query_command(args: argparse.Namespace) -> int:
    path: Path = args.file
    if str(path) == "-":
        document = sys.stdin.read()
    elif path.is_file():
        document = path.read_text(encoding="utf-8")
    else:
        raise NotFound(f"no file {path}")
    variables = parse_variables(args.var or [])
    if args.url:
        status, answer = await ask(args.url, args.key, document, variables)
    else:
        settings = _settings(args).model_copy(update={"demo": False})
        status, answer = await ask_in_process(settings, args.key, document, variables)
    if args.raw:
        print(json.dumps(answer))
    else:
        data, errors = render(answer)
        print(data)
        if errors:
            print(errors, file=sys.stderr)
    return 0 if status == 200 and not answer.get("errors") else 1


async def import_command(args: argparse.Namespace) -> int:
    source: Path = args.file
    if not source.is_file():
        raise NotFound(f"no file {source}")
    rejected_to: Path = args.rejects or rejects_path(source)

    size = max(source.stat().st_size, 1)
    read = 0

    def counted(lines: Iterable[str]) -> Iterator[str]:
        nonlocal read
        for line in lines:
            read += len(line)
            yield line

    def progress(summary: ImportSummary) -> None:
        done = min(read / size, 1.0)
        bar = "#" * round(done * 24)
        print(
            f"\r[{bar:<24}] {done:4.0%}  {summary.lines} lines, {summary.applied} applied,"
            f" {summary.rejected} rejected ({summary.rate:,.0f} lines/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )

    async with _store(args) as store:
        with source.open(encoding="utf-8") as lines, rejected_to.open("w") as rejects:
            summary = await import_lines(store, counted(lines), rejects, progress)
    print(file=sys.stderr)
    if summary.rejected == 0:
        rejected_to.unlink()
    report = {
        "lines": summary.lines,
        "applied": summary.applied,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "rejectedTo": str(rejected_to) if summary.rejected else None,
        "seconds": round(summary.seconds, 3),
        "linesPerSecond": round(summary.rate),
    }
    print(json.dumps(report))
    return 0


async def webhooks_create(args: argparse.Namespace) -> int:
    async with _store(args) as store:
        source = await WebhookSources(store).create(args.tenant, args.platform, args.name)
    print(
        json.dumps(
            {
                "name": source.name,
                "url": f"/webhooks/{source.name}",
                "platform": source.platform,
                "tenant": source.tenant_id,
                "secret": source.secret,
                "signatureHeader": f"{SIGNATURE_HEADER}: t=<unix seconds>,sha256=<hex "
                "HMAC-SHA256, keyed with the secret, of '<t>.' followed by the body>",
            }
        )
    )
    return 0


async def webhooks_revoke(args: argparse.Namespace) -> int:
    async with _store(args) as store:
        await WebhookSources(store).revoke(args.name)
    print(f"revoked webhook source {args.name}")
    return 0


async def migrate_store_command(args: argparse.Namespace) -> int:
    source_url, target_url = store_url(args.source), store_url(args.target)
    if not source_url.startswith("sqlite://") or target_url.startswith("sqlite://"):
        raise StoreUrlError("copies go from sqlite:///path to postgresql://...")
    source = await SqliteStore.open(sqlite_path(source_url))
    try:
        target = await PostgresStore.open(target_url)
        try:
            copied: dict[str, int] = {}

            def progress(table: str, rows: int) -> None:
                copied[table] = copied.get(table, 0) + rows
                print(f"\r{table}: {copied[table]:,} rows", end="", file=sys.stderr, flush=True)

            report = await copy_store(source, target, chunk=args.chunk, progress=progress)
        finally:
            await target.close()
    finally:
        await source.close()
    print("\r", end="", file=sys.stderr)
    for line in report:
        print(f"{line.table:<24} {line.source_rows:>12,} rows, {line.target_rows:>12,} copied")
    print(f"copied and verified {len(report)} tables into {redacted(target_url)}")
    return 0


async def export_schema(args: argparse.Namespace) -> int:
    print(schema_file_sdl(build_schema()))
    return 0


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data directory (GATEWAY_DATA_DIR)")
    parser.add_argument("--database", type=Path, help="SQLite file (GATEWAY_DATABASE)")
    parser.add_argument(
        "--store-url",
        help="postgresql://... or sqlite:///path (GATEWAY_STORE_URL); wins over --database",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str,
        handler: Command,
        help: str,
        store: bool = True,
        parent: argparse._SubParsersAction[argparse.ArgumentParser] = commands,
    ) -> argparse.ArgumentParser:
        sub = parent.add_parser(name, help=help, description=help)
        sub.set_defaults(handler=handler)
        if store:
            _store_options(sub)
        return sub

    run = command("serve", serve, "Serve the graph at /graphql (seeds demo data if empty).")
    run.add_argument("--host", help="address to listen on (GATEWAY_HOST)")
    run.add_argument("--port", type=int, help="port, 0 for any free one (GATEWAY_PORT)")
    run.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        default=None,
        help="neither seed demo data nor print demo keys",
    )
    run.add_argument(
        "--no-graphiql",
        dest="graphiql",
        action="store_false",
        default=None,
        help="do not serve GraphiQL to browsers",
    )
    run.add_argument(
        "--sources-file", type=Path, help="TOML file of upstream sources (GATEWAY_SOURCES_FILE)"
    )
    run.add_argument(
        "--workers", type=int, help="processes sharing the port (GATEWAY_WORKERS, default 1)"
    )
    run.add_argument(
        "--no-fast-path",
        dest="fast_path",
        action="store_false",
        default=None,
        help="turn off the caches and the fast encoder (to measure what they are worth)",
    )
    run.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    run.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)

    seed = command(
        "seed-demo",
        seed_demo_command,
        "Seed demo data into an empty store and print fresh demo keys.",
    )
    seed.add_argument("--json", action="store_true", help="print the keys as JSON")

    keys = commands.add_parser("keys", help="Create, list and revoke API keys.")
    key_commands = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = command(
        "create", keys_create, "Create a key; it is printed once.", parent=key_commands
    )
    create.add_argument("--tenant", required=True)
    create.add_argument("--number", help="phone number or id: makes a number-scoped key")
    create.add_argument(
        "--kind",
        choices=[k.value for k in KeyKind],
        help="default: number with --number, else tenant",
    )
    create.add_argument(
        "--scope", action="append", help=f"repeatable; one of {', '.join(sorted(ALL_SCOPES))}"
    )
    create.add_argument("--label")
    create.add_argument("--json", action="store_true")
    revoke = command(
        "revoke", keys_revoke, "Revoke a key by handle, key or key id.", parent=key_commands
    )
    revoke.add_argument("key")
    listing = command(
        "list", keys_list, "List a tenant's keys (never the secrets).", parent=key_commands
    )
    listing.add_argument("--tenant", required=True)

    tenants = commands.add_parser("tenants", help="Create tenants.")
    tenant_commands = tenants.add_subparsers(
        dest="tenants_command", required=True, metavar="ACTION"
    )
    new_tenant = command(
        "create", tenants_create, "Create (or rename) a tenant.", parent=tenant_commands
    )
    new_tenant.add_argument("tenant_id")
    new_tenant.add_argument("--name")

    numbers = commands.add_parser("numbers", help="Register WhatsApp numbers.")
    number_commands = numbers.add_subparsers(
        dest="numbers_command", required=True, metavar="ACTION"
    )
    add = command(
        "add", numbers_add, "Register a tenant's WhatsApp number.", parent=number_commands
    )
    add.add_argument("--tenant", required=True)
    add.add_argument("phone")
    add.add_argument("--name")

    importing = command(
        "import", import_command, "Import a JSON Lines file of events; bad lines are set aside."
    )
    importing.add_argument("file", type=Path, help="one event per line (see the README)")
    importing.add_argument(
        "--rejects", type=Path, help="where rejected lines go (default FILE.rejected.jsonl)"
    )

    webhooks = commands.add_parser("webhooks", help="Create and revoke webhook sources.")
    webhook_commands = webhooks.add_subparsers(
        dest="webhooks_command", required=True, metavar="ACTION"
    )
    hook = command(
        "create",
        webhooks_create,
        "Create a webhook source; prints its URL path and signing secret.",
        parent=webhook_commands,
    )
    hook.add_argument("--tenant", required=True)
    hook.add_argument("--platform", required=True, choices=list(PLATFORMS))
    hook.add_argument("--name")
    unhook = command("revoke", webhooks_revoke, "Revoke a webhook source.", parent=webhook_commands)
    unhook.add_argument("name")

    command("export-schema", export_schema, "Print the schema as SDL.", store=False)

    moving = command(
        "migrate-store",
        migrate_store_command,
        "Copy a SQLite store into an empty PostgreSQL database, verifying every table's count;"
        " run it again to continue after an interruption. Stop the gateways writing to the"
        " SQLite store first.",
        store=False,
    )
    moving.add_argument("--from", dest="source", required=True, help="sqlite:///path/to/file")
    moving.add_argument(
        "--to", dest="target", required=True, help="postgresql://user:password@host:port/db"
    )
    moving.add_argument("--chunk", type=int, default=20_000, help="rows per transaction")

    command(
        "graphiql-assets",
        graphiql_assets_command,
        "Fetch GraphiQL's files with npm pack (pinned, hash-checked) into the data directory,"
        " so that /graphql serves GraphiQL without a CDN.",
    )

    trusting = command(
        "trusted-documents",
        trusted_documents_command,
        "Check a manifest of trusted documents (Apollo's persisted-query manifest, or a JSON"
        " object of sha256: document): each id is its body's hash, and each body is valid"
        " against the graph and within the operation limits. Serve it with"
        " GATEWAY_TRUSTED_DOCUMENTS and GATEWAY_TRUSTED_DOCUMENTS_MODE.",
        store=False,
    )
    trusting.add_argument("file", type=Path, help="the manifest")

    asking = command(
        "query",
        query_command,
        "Run a GraphQL document against a running gateway (--url) or one started here on the"
        " store, and print the answer; exit 1 when it has errors.",
    )
    asking.add_argument("file", type=Path, help="the .graphql document, or - for stdin")
    asking.add_argument(
        "--var",
        action="append",
        metavar="NAME=VALUE",
        help="a variable; JSON values (5, true, [..]) as such, others as strings; repeatable",
    )
    asking.add_argument("--key", help="the API key to send (x-api-key)")
    asking.add_argument("--url", help="a running gateway's /graphql; default: in-process")
    asking.add_argument("--raw", action="store_true", help="print the whole answer as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    try:
        return asyncio.run(handler(args))
    except GatewayError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except (SourcesError, ServeError, StoreUrlError, CopyError, ManifestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except asyncpg.PostgresError as exc:  # a wrong password, a missing database
        print(f"error: PostgreSQL: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a port already taken, a data directory that cannot be written
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
