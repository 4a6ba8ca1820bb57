"""The gateway from gql, a general GraphQL client: one query over HTTP, then a live dashboard
over graphql-transport-ws, both on aiohttp.

python examples/gql_client.py --key agk_... [--url http://127.0.0.1:8000/graphql] [--updates 3]

The key is a number-scoped one (serve prints one). The script prints the 7-day totals, then
each pushed update of the dashboard until it has seen --updates of them (0: forever).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

import aiohttp
from gql import Client, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.aiohttp_websockets import AIOHTTPWebsocketsTransport
from gql.transport.exceptions import TransportError

WEEK = gql(
    """
    query Week($timezone: String) {
      dashboard(period: DAYS_7, timezone: $timezone) {
        startDate endDate totals { total delivered read deliveryRate }
      }
    }
    """
)
LIVE = gql(
    """
    subscription Live($timezone: String) {
      dashboard(period: DAYS_7, timezone: $timezone) { totals { total delivered read } }
    }
    """
)


async def week(url: str, key: str, timezone: str) -> dict[str, Any]:
    transport = AIOHTTPTransport(url=url, headers={"x-api-key": key})
    async with Client(transport=transport) as session:
        result: dict[str, Any] = await session.execute(WEEK, variable_values={"timezone": timezone})
        board: dict[str, Any] = result["dashboard"]
        return board


async def live(url: str, key: str, timezone: str, updates: int) -> list[dict[str, Any]]:
    """The first answer and then each update, `updates` in all (0: until interrupted)."""
    transport = AIOHTTPWebsocketsTransport(
        url=url.replace("http", "ws", 1),
        subprotocols=[AIOHTTPWebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"x-api-key": key},
    )
    seen: list[dict[str, Any]] = []
    async with Client(transport=transport) as session:
        async for result in session.subscribe(LIVE, variable_values={"timezone": timezone}):
            totals = result["dashboard"]["totals"]
            print(f"live: {totals}", flush=True)
            seen.append(totals)
            if updates and len(seen) >= updates:
                break
    return seen


async def run(args: argparse.Namespace) -> None:
    board = await week(args.url, args.key, args.timezone)
    totals = board["totals"]
    print(
        f"{board['startDate']} .. {board['endDate']}: {totals['total']} messages,"
        f" {totals['delivered']} delivered ({totals['deliveryRate']}%), {totals['read']} read",
        flush=True,
    )
    await live(args.url, args.key, args.timezone, args.updates)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", required=True, help="a number-scoped key")
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--updates", type=int, default=3)
    args = parser.parse_args()
    try:
        asyncio.run(run(args))
    except (aiohttp.ClientError, OSError, TimeoutError, TransportError) as problem:
        # Nothing listening, a wrong host or path: one line, no traceback.
        reason = problem or type(problem).__name__
        print(f"cannot ask the gateway at {args.url}: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
