"""The `gateway` command: one module per group of commands, the parser apart."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Sequence

from gateway.cli.check import check_command
from gateway.cli.common import Command
from gateway.cli.parser import build_parser
from gateway.config.settings import SettingsProblems, StoreUrlError, unknown_variables
from gateway.config.sources import SourcesError
from gateway.errors import GatewayError, StoreUnavailable
from gateway.http.serving import ServeError
from gateway.http.shared import SharedStateError
from gateway.providers.native.copy import CopyError
from gateway.providers.native.postgres import PostgresError
from gateway.schema.trusted import ManifestError

__all__ = ["build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Command = args.handler
    if handler is not check_command and not getattr(args, "worker", False):
        for unknown in unknown_variables(os.environ):  # check counts them as problems
            print(f"warning: {unknown}", file=sys.stderr)
    try:
        return asyncio.run(handler(args))
    except SettingsProblems as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except SourcesError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except StoreUnavailable as exc:  # the store away or locked: as an OSError, try again later
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except GatewayError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except (ServeError, StoreUrlError, CopyError, ManifestError, SharedStateError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PostgresError as exc:  # a wrong password, a missing database
        print(f"error: PostgreSQL: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a port already taken, a data directory that cannot be written
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
