"""Ask a running gateway for a number's dashboard and print it as a small table.

python examples/client.py --key agk_... [--url http://127.0.0.1:8000/graphql]
                          [--period DAYS_7] [--timezone America/Sao_Paulo]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import aiohttp

QUERY = (Path(__file__).parent / "queries" / "number_dashboard.graphql").read_text()


async def fetch(url: str, key: str, variables: dict[str, str]) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, json={"query": QUERY, "variables": variables}, headers={"x-api-key": key}
        ) as response,
    ):
        body: dict[str, Any] = await response.json()
        return body


def render(board: dict[str, Any]) -> str:
    totals = board["totals"]
    lines = [
        f"{board['startDate']} .. {board['endDate']} ({board['timezone']})",
        f"sent {totals['sent']}  delivered {totals['delivered']} ({totals['deliveryRate']}%)"
        f"  read {totals['read']} ({totals['readRate']}%)  failed {totals['failed']}",
    ]
    widest = max((day["sent"] for day in board["series"]), default=0) or 1
    for day in board["series"]:
        lines.append(f"{day['date']}  {day['sent']:>6}  {'#' * round(day['sent'] / widest * 40)}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", required=True, help="a number-scoped API key")
    parser.add_argument("--period", default="DAYS_7", choices=["DAYS_7", "DAYS_30", "DAYS_90"])
    parser.add_argument("--timezone", default="UTC")
    args = parser.parse_args()
    try:
        body = asyncio.run(
            fetch(args.url, args.key, {"period": args.period, "timezone": args.timezone})
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as problem:
        # Nothing listening, a wrong host, an answer that is not JSON: one line, no traceback.
        print(f"cannot ask the gateway at {args.url}: {problem or type(problem).__name__}",
              file=sys.stderr)  # fmt: skip
        return 2
    for error in body.get("errors", []):
        print(f"{error['extensions']['code']}: {error['message']}", file=sys.stderr)
    board = (body.get("data") or {}).get("dashboard")
    if board is None:
        return 1
    print(render(board))
    return 0


if __name__ == "__main__":
    sys.exit(main())
