"""The command line's shape: every command, its options and its help."""

from __future__ import annotations

import argparse
from importlib import metadata
from pathlib import Path

from gateway import __version__
from gateway.cli.check import check_command
from gateway.cli.common import Command, store_options
from gateway.cli.data import import_command, migrate_store_command
from gateway.cli.platforms import platforms_command
from gateway.cli.serve import seed_demo_command, serve
from gateway.cli.store import init_command
from gateway.cli.tenancy import (
    keys_create,
    keys_list,
    keys_revoke,
    numbers_add,
    tenants_create,
    webhooks_create,
    webhooks_revoke,
)
from gateway.cli.tools import (
    export_schema,
    graphiql_assets_command,
    query_command,
    trusted_documents_command,
)
from gateway.domain.auth import ALL_SCOPES, KeyKind

__all__ = ["build_parser", "version"]


def version() -> str:
    """The installed distribution's version (the source tree's when it is not installed)."""
    try:
        return metadata.version("analytics-gateway")
    except metadata.PackageNotFoundError:
        return __version__


DESCRIPTION = (
    "analytics-gateway: one typed GraphQL graph over WhatsApp, SMS and email messaging"
    " analytics. Settings come from GATEWAY_* environment variables (see the README), and"
    " options override them; `gateway COMMAND --help` shows a command's options."
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
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
            store_options(sub)
        return sub

    command(
        "init",
        init_command,
        "Create and migrate an empty store (SQLite or PostgreSQL) for one's own data, and print"
        " the next steps; on an existing store it only migrates, and removes nothing.",
    )

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

    checking = command(
        "check",
        check_command,
        "Check the settings, the sources file and the variables it names, the trusted"
        " documents and that the store (and Redis) answer, without starting or creating"
        " anything; one line per problem, exit 1 if any.",
    )
    checking.add_argument("--sources-file", type=Path, help="as for serve (GATEWAY_SOURCES_FILE)")

    listing = command(
        "platforms",
        platforms_command,
        "List the installed platform plugins, the areas each answers and its version, a plugin"
        " declaring a field its adapter has no method for, and those installed but"
        " unavailable, with why (exit 1 if any of either).",
        store=False,
    )
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    listing.add_argument(
        "--matrix",
        action="store_true",
        help="print the capability matrix (platform x field x argument) as Markdown",
    )

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
    importing.add_argument(
        "--register-numbers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="register a number an event names that the tenant does not have, up to"
        " GATEWAY_MAX_NUMBERS_PER_TENANT (default); --no-register-numbers rejects such lines",
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
    hook.add_argument(
        "--platform",
        required=True,
        help="an installed platform's webhook name (`gateway platforms` lists them), or gateway",
    )
    hook.add_argument("--name")
    hook.add_argument(
        "--register-numbers",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="whether an unknown number in the source's events registers one, up to"
        " GATEWAY_MAX_NUMBERS_PER_TENANT (default: yes); without, such events are refused",
    )
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
