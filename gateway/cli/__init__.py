"""The `gateway` command: one module per group of commands, the parser apart."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

import asyncpg

from gateway.cli.common import Command
from gateway.cli.parser import build_parser
from gateway.errors import GatewayError
from gateway.providers.native.copy import CopyError
from gateway.providers.native.store import StoreUrlError
from gateway.serving import ServeError
from gateway.sources import SourcesError
from gateway.trusted import ManifestError

__all__ = ["build_parser", "main"]


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
