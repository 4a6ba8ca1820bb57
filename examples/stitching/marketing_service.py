"""A small service to stitch beside the gateway: a marketing team's campaign plans, whose names
clash with the gateway's (a `Campaign` type, `campaign` and `campaigns` root fields).

python examples/stitching/marketing_service.py --port 4002      # serve it
"""

from __future__ import annotations

import argparse

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView


@strawberry.type(description="A campaign as marketing plans it.")
class Campaign:
    id: strawberry.ID = strawberry.field(description="The plan's id.")
    name: str = strawberry.field(description="What marketing calls it.")
    budget_cents: int = strawberry.field(description="What it may spend, in cents.")


PLANS = [
    Campaign(id=strawberry.ID("p1"), name="Black Friday", budget_cents=250_000),
    Campaign(id=strawberry.ID("p2"), name="Christmas", budget_cents=400_000),
]


@strawberry.type
class Query:
    @strawberry.field(description="Every planned campaign.")
    def campaigns(self) -> list[Campaign]:
        return PLANS

    @strawberry.field(description="One planned campaign.")
    def campaign(self, id: strawberry.ID) -> Campaign | None:
        return next((plan for plan in PLANS if plan.id == id), None)


schema = strawberry.Schema(query=Query)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4002)
    args = parser.parse_args()
    app = web.Application()
    app.router.add_route("*", "/graphql", GraphQLView(schema=schema))
    print(f"marketing service on http://127.0.0.1:{args.port}/graphql", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
