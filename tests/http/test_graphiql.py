"""GraphiQL's page is the gateway's: it opens on a document about the x-api-key header whose
query runs, and keeps headers out of localStorage unless the user opts in."""

from __future__ import annotations

import json
import re

from graphql import parse, validate

from gateway.http.graphiql import WELCOME, gateway_page
from gateway.schema import build_schema
from tests.support.gateway import Gateway, World


async def test_the_page_opens_on_the_welcome_document(gateway: Gateway) -> None:
    async with gateway.session.get(gateway.url, headers={"accept": "text/html"}) as response:
        page = await response.text()
    assert response.status == 200
    [literal] = re.findall(r"const EXAMPLE_QUERY = (\".*?\");\n", page)
    assert json.loads(literal) == WELCOME and '{"x-api-key": "agk_..."}' in WELCOME
    assert "shouldPersistHeaders: true" not in page and "storage: headerlessStorage," in page
    assert page == gateway_page()


async def test_the_welcome_query_is_real_and_runs(gateway: Gateway, world: World) -> None:
    assert validate(build_schema()._schema, parse(WELCOME)) == []
    answer = await gateway.query(world.keys["acme_sales"], WELCOME)
    assert answer.status == 200 and "errors" not in answer.body
    assert answer.body["data"]["viewer"]["tenantId"] == "acme"
    assert len(answer.body["data"]["dashboard"]["totals"]) == 6
