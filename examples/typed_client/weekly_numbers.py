"""Each WhatsApp number's week through the typed client that ariadne-codegen generates from
schema.graphql and examples/queries/ (see pyproject.toml here), a page of numbers at a time:
`python weekly_numbers.py --key KEY`."""

from __future__ import annotations

import argparse
import asyncio

from gateway_client import Client, GraphQLClientGraphQLMultiError


async def main(url: str, key: str, timezone: str, page_size: int) -> int:
    client = Client(url=url, headers={"x-api-key": key})
    after: str | None = None
    while True:  # a page at a time, however many numbers the tenant has
        try:
            answer = await client.all_numbers(timezone=timezone, first=page_size, after=after)
        except GraphQLClientGraphQLMultiError as refused:
            for error in refused.errors:
                print(f"refused: {error.message} ({(error.extensions or {}).get('code')})")
            return 1
        page = answer.numbers_connection
        if after is None:
            print(f"tenant {answer.viewer.tenant_id} ({answer.viewer.key_kind.value} key)")
        for edge in page.edges:
            number = edge.node
            totals = number.dashboard.totals if number.dashboard else None
            if totals is None:
                print(f"{number.phone_number}: no dashboard")
                continue
            print(
                f"{number.phone_number} {number.display_name or ''}: {totals.total} sent this"
                f" week, {totals.delivery_rate:.2f}% delivered"
            )
        if not page.page_info.has_next_page:
            return 0
        after = page.page_info.end_cursor


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--key", required=True)
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--page-size", type=int, default=50, help="numbers a request, 1 to 100")
    arguments = parser.parse_args()
    run = main(arguments.url, arguments.key, arguments.timezone, arguments.page_size)
    raise SystemExit(asyncio.run(run))
