"""A second, small subgraph for the federation example: a CRM that knows who looks after each
WhatsApp number and each organization. It extends the gateway's entities by id.

python examples/federation/crm_subgraph.py --port 4001      # serve it
python examples/federation/crm_subgraph.py --print-sdl      # its subgraph SDL
"""

from __future__ import annotations

import argparse
import hashlib

import strawberry
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

PEOPLE = ["Ana Souza", "Bruno Lima", "Carla Dias"]


def _person(key: str) -> str:
    return PEOPLE[hashlib.sha256(key.encode()).digest()[0] % len(PEOPLE)]


@strawberry.type(description="Someone at the company.")
class Person:
    name: str = strawberry.field(description="Their name.")


@strawberry.federation.type(keys=["id"], description="A WhatsApp number, as the CRM knows it.")
class WhatsAppNumber:
    id: strawberry.ID = strawberry.field(description="The number's id in the analytics graph.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> WhatsAppNumber:
        return cls(id=id)

    @strawberry.field(description="Who answers the customers writing to this number.")
    def owner(self) -> Person:
        return Person(name=_person(self.id))


@strawberry.federation.type(keys=["id"], description="A customer organization.")
class Organization:
    id: strawberry.ID = strawberry.field(description="The tenant id.")

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Organization:
        return cls(id=id)

    @strawberry.field(description="The organization's account manager.")
    def account_manager(self) -> Person:
        return Person(name=_person("org:" + self.id))


@strawberry.type
class Query:
    @strawberry.field(description="The people of the CRM.")
    def people(self) -> list[Person]:
        return [Person(name=name) for name in PEOPLE]


# v2.0 is all it uses (@key), and every federation composer knows it.
schema = strawberry.federation.Schema(
    query=Query, types=[WhatsAppNumber, Organization], federation_version="2.0"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=4001)
    parser.add_argument("--print-sdl", action="store_true")
    args = parser.parse_args()
    if args.print_sdl:
        print(schema.as_str())
        return
    app = web.Application()
    app.router.add_route("*", "/graphql", GraphQLView(schema=schema))
    print(f"crm subgraph on http://127.0.0.1:{args.port}/graphql", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
