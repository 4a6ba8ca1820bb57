"""`gateway query|export-schema|graphiql-assets|trusted-documents`: the graph from outside."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from gateway.cli.common import settings_from
from gateway.cli.query import parse_variables, render
from gateway.config.settings import load_settings
from gateway.errors import NotFound
from gateway.http.graphiql import fetch_assets
from gateway.http.query import ask, ask_in_process
from gateway.http.serving import ServeError
from gateway.schema import build_schema
from gateway.schema.sdl import schema_file_sdl
from gateway.schema.trusted import check_documents, load_manifest

__all__ = [
    "export_schema",
    "graphiql_assets_command",
    "query_command",
    "trusted_documents_command",
]


async def trusted_documents_command(args: argparse.Namespace) -> int:
    settings = load_settings({"demo": False})
    manifest = load_manifest(args.file, "only")
    problems = check_documents(manifest, settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(manifest.bodies)} documents, {len(problems)} with problems")
    return 1 if problems else 0


async def graphiql_assets_command(args: argparse.Namespace) -> int:
    directory = settings_from(args).graphiql_assets_path
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
        settings = settings_from(args).model_copy(update={"demo": False})
        status, answer = await ask_in_process(settings, args.key, document, variables)
    if args.raw:
        print(json.dumps(answer))
    else:
        data, errors = render(answer)
        print(data)
        if errors:
            print(errors, file=sys.stderr)
    return 0 if status == 200 and not answer.get("errors") else 1


async def export_schema(args: argparse.Namespace) -> int:
    print(schema_file_sdl(build_schema()))
    return 0
