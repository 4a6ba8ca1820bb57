"""Each WhatsApp number's week through the typed client that ariadne-codegen generates from
schema.graphql and examples/queries/ (see pyproject.toml here):
`python weekly_numbers.py --key KEY`."""

from __future__ import annotations

import argparse
import asyncio

from gateway_client import Client, GraphQLClientGraphQLMultiError


async def main(url: str, key: str, timezone: str) -> int:
    client = Client(url=url, headers={"x-api-key": key})
    try:
        answer = await client.all_numbers(timezone=timezone)
    except GraphQLClientGraphQLMultiError as refused:
        for error in refused.errors:
            print(f"refused: {error.message} ({(error.extensions or {}).get('code')})")
        return 1
    print(f"tenant {answer.viewer.tenant_id} ({answer.viewer.key_kind.value} key)")
    for number in answer.numbers:
        totals = number.dashboard.totals if number.dashboard else None
        if totals is None:
            print(f"{number.phone_number}: no dashboard")
            continue
        print(
            f"{number.phone_number} {number.display_name or ''}: {totals.total} sent this week,"
            f" {totals.delivery_rate:.2f}% delivered"
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", required=True)
    parser.add_argument("--timezone", default="UTC")
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.url, arguments.key, arguments.timezone)))
