"""Strategies for generated queries and values."""

from __future__ import annotations

import schemathesis
from graphql import introspection_from_schema
from hypothesis import strategies as st

from gateway.schema import build_schema

# From the schema's introspection: its SDL carries federation directives a plain GraphQL
# schema loader does not know.
SCHEMA = schemathesis.graphql.from_dict(dict(introspection_from_schema(build_schema()._schema)))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


VALID = [
    "query($p: Period!, $tz: String) { dashboard(period: $p, timezone: $tz) { totals { total } } }",
    "query($first: Int!, $after: String) {"
    " campaigns(first: $first, after: $after) { edges { cursor } } }",
    "query($id: ID!) { campaign(id: $id) { id name } }",
    "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }",
    "query($s: String, $e: String) {"
    " sms { overview(startDate: $s, endDate: $e) { deliveryRate } } }",
]
