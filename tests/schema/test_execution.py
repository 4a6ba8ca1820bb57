"""The fast path answers byte for byte as Strawberry's stock pipeline and executor do, on the
demo data in a real SQLite store: every example query, the isolation matrix, the fuzzers'
documents, documents written to reach the edges of the compiled path, and data gone wrong."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import strawberry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from strawberry.http import process_result
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import ExecutionResult

from gateway.domain.auth import ANALYTICS_READ, KeyKind, Principal, default_scopes
from gateway.domain.messages import DailyDelivery, DailySeries, DeliveryCounts
from gateway.domain.numbers import DashboardRequest, NumberDashboard
from gateway.errors import GatewayError
from gateway.providers.base import ProviderRegistry
from gateway.providers.native import NativeProvider, SqliteStore, Store
from gateway.providers.native.demo import seed_demo
from gateway.providers.native.tenancy import Tenancy
from gateway.providers.versions import TenantVersions, VersionedMemo
from gateway.schema import GatewaySchema, Limits, build_schema
from gateway.schema.context import GatewayContext
from gateway.schema.execution import _KEPT, GatewayExecutor
from gateway.schema.extensions import LEAN
from gateway.schema.ids import encode_id
from gateway.schema.pipeline import LeanPipeline
from tests.support.fuzz import JSON, SCHEMA, VALID
from tests.support.gateway import NOW, fixed_clock
from tests.support.isolation import EVERYTHING
from tests.support.production import authenticate


def sample(path: str) -> float:
    """Operations executed so far by this execution path (gateway_graphql_execution_paths)."""
    value = REGISTRY.get_sample_value("gateway_graphql_execution_paths_total", {"path": path})
    return value or 0.0


QUERIES = Path(__file__).parents[2] / "examples" / "queries"
KEYS = ("tenant", "number", "unlinked", "no_scopes", "acme")
# The examples' required variables.
EXAMPLE_VARIABLES: dict[str, dict[str, Any]] = {
    "number_dashboard.graphql": {"period": "DAYS_30"},
    "email_reports.graphql": {"pastDays": 30},
}


class Faulty(NativeProvider):
    """The native store's answers, with one number's series gone wrong in the ways a buggy
    source could: a counter missing (null in a non-null field), one too large for an Int, one
    that cannot be added up (an error raised while a figure is read)."""

    async def load_dashboards(
        self, requests: Sequence[DashboardRequest]
    ) -> list[NumberDashboard | GatewayError]:
        answers = await super().load_dashboards(requests)
        return [
            _spoiled(answer) if isinstance(answer, NumberDashboard) else answer
            for answer in answers
        ]


def _spoiled(board: NumberDashboard) -> NumberDashboard:
    wrong: dict[int, dict[str, Any]] = {
        1: {"queued": 2**40, "sent_only": 1, "failed": 0, "delivered_only": 0, "read": 0},
        3: {"queued": 0, "sent_only": 1, "failed": 0, "delivered_only": 1, "read": None},
        5: {"queued": 0, "sent_only": "x", "failed": 0, "delivered_only": 0, "read": 0},
    }
    bad = {day: DeliveryCounts.model_construct(**fields) for day, fields in wrong.items()}
    series = DailySeries.of(
        DailyDelivery.model_construct(day=point.day, counts=bad.get(i, point.counts))
        for i, point in enumerate(board.series)
    )
    return NumberDashboard.model_construct(
        request=board.request, totals=board.totals, series=series
    )


@dataclass
class Side:
    schema: GatewaySchema
    registry: ProviderRegistry
    faulty: ProviderRegistry


class Differential:
    """Runs each document through the fast path and the stock one, on one store."""

    def __init__(self, runner: asyncio.Runner, store: Store, principals: dict[str, Principal]):
        self.runner = runner
        self.principals = principals
        self.versions = TenantVersions()
        self.fast = Side(
            build_schema(fast=True),
            ProviderRegistry({"native": NativeProvider(store, memo=VersionedMemo(self.versions))}),
            ProviderRegistry({"native": Faulty(store)}),
        )
        self.stock = Side(
            build_schema(fast=False),
            ProviderRegistry({"native": NativeProvider(store)}),
            ProviderRegistry({"native": Faulty(store)}),
        )
        self.compared = 0
        self.lean = 0  # documents answered again on the lean pipeline

    def same(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        key: str = "tenant",
        *,
        faulty: bool = False,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """The answer, after checking that both paths give its very bytes (or raise the same
        refusal, as Strawberry does for an operation it cannot find)."""
        fast, stock = (
            self.runner.run(self._answer(side, query, variables, key, faulty, operation))
            for side in (self.fast, self.stock)
        )
        assert fast == stock, f"{query} {variables} {key}:\nfast  {fast!r}\nstock {stock!r}"
        self.compared += 1
        answer: dict[str, Any] = orjson.loads(fast)
        if not query.lstrip().startswith("subscription"):
            self._again_on_the_lean_path(query, variables, key, faulty, operation, stock, answer)
        return answer

    def _again_on_the_lean_path(
        self,
        query: str,
        variables: dict[str, Any] | None,
        key: str,
        faulty: bool,
        operation: str | None,
        stock: bytes,
        answer: dict[str, Any],
    ) -> None:
        """Asked again, now that the fast side keeps the document, a valid operation within
        the cost limit takes the lean pipeline, and answers the same."""
        lean = self.fast.schema.lean
        assert isinstance(lean, LeanPipeline)
        kept = lean.store.get(query)
        costly = any(
            (error.get("extensions") or {}).get("limit") in ("maxCost", "maxRepresentations")
            for error in answer.get("errors", [])
        )
        expected = kept is not None and kept.errors == [] and "refused" not in answer
        expected = expected and not costly
        lean_before = sample(LEAN)
        again = self.runner.run(self._answer(self.fast, query, variables, key, faulty, operation))
        assert again == stock, f"{query} {variables} {key}:\nlean  {again!r}\nstock {stock!r}"
        assert sample(LEAN) - lean_before == int(expected), f"{query} {variables} {key}: lean?"
        self.lean += int(expected)

    async def _answer(
        self,
        side: Side,
        query: str,
        variables: dict[str, Any] | None,
        key: str,
        faulty: bool,
        operation: str | None,
    ) -> bytes:
        context = GatewayContext(
            caller=self.principals[key],
            registry=side.faulty if faulty else side.registry,
            request_id="differential",
            clock=fixed_clock,
            versions=self.versions,
        )
        try:
            if query.lstrip().startswith("subscription"):
                result = await _first(side.schema, query, variables, context)
            else:
                result = await side.schema.execute(query, variables, context, None, operation)
        except Exception as refused:  # the view turns these into a 400
            return orjson.dumps({"refused": type(refused).__name__, "why": str(refused)})
        return orjson.dumps(process_result(result))


async def _first(
    schema: strawberry.Schema, query: str, variables: dict[str, Any] | None, context: Any
) -> ExecutionResult:
    stream = await schema.subscribe(query, variables, context)
    if isinstance(stream, ExecutionResult):
        return stream
    async for result in stream:
        await stream.aclose()
        assert isinstance(result, ExecutionResult)
        return result
    raise AssertionError("the subscription ended without an answer")


async def _principals(store: Store) -> dict[str, Principal]:
    tenancy = Tenancy(store)
    number = await tenancy.find_number("demo", "+5511955550101")
    assert number is not None
    made = {
        "tenant": await tenancy.create_key("demo", KeyKind.TENANT, default_scopes(KeyKind.TENANT)),
        "number": await tenancy.create_key(
            "demo", KeyKind.NUMBER, frozenset({ANALYTICS_READ}), number_id=number.id
        ),
        "unlinked": await tenancy.create_key("demo", KeyKind.NUMBER, frozenset({ANALYTICS_READ})),
        "no_scopes": await tenancy.create_key("demo", KeyKind.TENANT, frozenset()),
        "acme": await tenancy.create_key("acme", KeyKind.TENANT, default_scopes(KeyKind.TENANT)),
    }
    return {
        name: await authenticate({"x-api-key": issued.key}, tenancy)
        for name, issued in made.items()
    }


@pytest.fixture(scope="module")
def differential(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Differential]:
    runner = asyncio.Runner()
    store = runner.run(SqliteStore.open(tmp_path_factory.mktemp("demo") / "gateway.sqlite3"))
    try:
        runner.run(seed_demo(store, NOW))
        yield Differential(runner, store, runner.run(_principals(store)))
    finally:
        runner.run(store.close())
        runner.close()


def test_the_fast_path_is_on_only_when_asked() -> None:
    fast, stock = build_schema(fast=True), build_schema(fast=False)
    assert fast.execution_context_class is GatewayExecutor and fast.lean is not None
    assert stock.execution_context_class is StrawberryGraphQLCoreExecutionContext
    assert stock.lean is None
    # Tracing and introspection off add extensions the lean pipeline does not know.
    for limits in (Limits(otel=True), Limits(introspection=False)):
        assert build_schema(limits=limits).lean is None


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.graphql")), ids=lambda p: p.name)
def test_every_example_query(differential: Differential, path: Path) -> None:
    variables = EXAMPLE_VARIABLES.get(path.name)
    for key in KEYS:
        differential.same(path.read_text(), variables, key=key)
    if path.name == "number_dashboard.graphql":
        answer = differential.same(path.read_text(), {"period": "DAYS_90"}, key="number")
        assert len(answer["data"]["dashboard"]["series"]) == 90
        # The series went through a compiled completion.
        assert any(completer is not None for _, _, completer in _KEPT.values())


def test_the_isolation_matrix(differential: Differential) -> None:
    for key in KEYS:
        answer = differential.same(EVERYTHING, key=key)
        assert "data" in answer
    ids = {
        "WhatsAppNumber": encode_id("WhatsAppNumber", "native", 1),
        "SmsCampaign": encode_id("SmsCampaign", "native", 1),
        "EmailCampaign": encode_id("EmailCampaign", "native", 30),
    }
    for key in KEYS:
        for field, type_name in (
            ("number", "WhatsAppNumber"),
            ("campaign", "SmsCampaign"),
            ("campaign", "EmailCampaign"),
            ("node", "WhatsAppNumber"),
            ("node", "SmsCampaign"),
            ("node", "EmailCampaign"),
        ):
            query = f"query ($id: ID!) {{ {field}(id: $id) {{ id __typename }} }}"
            differential.same(query, {"id": ids[type_name]}, key)
        representations: list[object] = [{"__typename": t, "id": i} for t, i in ids.items()]
        representations += [{"__typename": "Organization", "id": "demo"}, {"id": 3}, "x"]
        entities = """query ($r: [_Any!]!) { _entities(representations: $r) { __typename
          ... on WhatsAppNumber { phoneNumber dashboard(period: DAYS_7) { totals { total } } }
          ... on Organization { id numbers { phoneNumber } } } }"""
        differential.same(entities, {"r": representations}, key)


# Aliases, fragments (named, inline, on interfaces, nested), __typename at every level,
# @include/@skip by literal and by variable, nulls, errors in lists and refusals.
EDGES = [
    """{ a: dashboard(period: DAYS_7) { s: series { d: date t: total r: readRate }
         t: totals { ...F } } b: dashboard(period: DAYS_90) { series { date } } }
       fragment F on DeliveryFigures { total sent __typename }""",
    """{ dashboard { __typename series { __typename ... on DeliveryDay { date }
         ...on DeliveryFigures { failed } ... Day } } }
       fragment Day on DeliveryDay { date read }""",
    """query ($yes: Boolean!, $no: Boolean!) { dashboard(period: DAYS_7) {
         series { date sent @include(if: $yes) failed @skip(if: $yes) read @include(if: $no) }
         totals @skip(if: $no) { total } } }""",
    """{ dashboard(period: DAYS_7) { series { date ... @include(if: false) { sent } } } }""",
    """{ viewer { __typename tenantId keyKind scopes k: keyHandle } }""",
    """{ numbers { id displayName phoneNumber
         dashboard(timezone: "Nowhere/Land") { period } } }""",
    """{ numbers { id dashboard(period: DAYS_7, tz: "Asia/Kathmandu") {
         series { date sent } } } }""",
    """{ sms { trends { date messages { total deliveryRate __typename } campaigns { total } }
         bestSendTimes { byHour { slot totalSent deliveryRate } byDayOfWeek { slot } }
         campaignExport { campaignName status createdAt completedAt } } }""",
    """{ sms { trends(startDate: "2026-11-30") { date }
         overview(endDate: "nope") { deliveryRate } } }""",
    """{ email { dashboard(pastDays: 30) { emailsSent { value previous diff } }
         histogram(pastDays: 7) { date sent uniqueOpens } overall(pastDays: 0) { sent } } }""",
    """{ billing { organizationId brand subscription { id status } credits { available total }
         availableCreditProducts { id name creditsAmount } } creditBalance { balance } }""",
    """{ campaigns(first: 5) { edges { cursor node { __typename id name status channel } }
         pageInfo { hasNextPage endCursor } } }""",
    """{ campaigns(first: 500) { edges { cursor } } }""",
    # Relay: backward pages, the whole PageInfo, totalCount, node() through the interfaces.
    """{ campaigns(last: 3, channel: EMAIL) { totalCount edges { cursor node { ... on Node { id }
         __typename } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }""",
    """{ campaigns(first: 2, last: 2) { totalCount } }""",
    f"""{{ a: node(id: "{encode_id("SmsCampaign", "native", 1)}") {{ __typename id
         ... on Campaign {{ name status }} ... on SmsCampaign {{ messages {{ total }} }} }}
         b: node(id: "{encode_id("WhatsAppNumber", "native", 1)}") {{ ... on Node {{ id }}
         ... on WhatsAppNumber {{ phoneNumber dashboard(period: DAYS_7) {{ totals {{ total }} }} }}
         }} c: node(id: "nope") {{ id }} }}""",
    """{ deliveryByChannel(period: DAYS_7) { timezone days channels { channel totals { total }
         series { date delivered } } } }""",
    """query A { viewer { tenantId } } query B { dashboard { totals { total } } }""",
    """{ dashboard { series { date } } dashboard { series { total } } }""",
    """{ __typename viewer { ...V } } fragment V on Viewer { tenantId ... on Viewer { scopes } }""",
    """{ nothing }""",
    """{ viewer { tenantId """,
]


TWO_OPERATIONS = next(query for query in EDGES if query.startswith("query A"))


@pytest.mark.parametrize("query", EDGES)
def test_documents_at_the_edges(differential: Differential, query: str) -> None:
    for key in ("tenant", "number"):
        differential.same(query, {"yes": True, "no": False}, key)
    differential.same(query, {"yes": False, "no": True}, "number")


def test_named_operations(differential: Differential) -> None:
    for name in ("A", "B", "C", None):
        differential.same(TWO_OPERATIONS, key="number", operation=name)


def test_data_gone_wrong_in_a_list(differential: Differential) -> None:
    for query, fails in (
        ("{ dashboard(period: DAYS_7) { series { date total } } }", True),  # over an Int
        ("{ dashboard(period: DAYS_7) { series { date read } } }", True),  # null, non-null
        ("{ dashboard(period: DAYS_7) { series { date sent } } }", True),  # raised when read
        ("{ dashboard(period: DAYS_7) { series { date } totals { total } } }", False),
        ("{ numbers { phoneNumber dashboard(period: DAYS_7) { series { date read } } } }", True),
    ):
        key = "tenant" if query.startswith("{ numbers") else "number"
        answer = differential.same(query, key=key, faulty=True)
        in_series = [e for e in answer.get("errors", []) if "series" in e.get("path", [])]
        assert bool(in_series) is fails and len(in_series) == len(answer.get("errors", []))


@SCHEMA.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_fuzzers_documents(case: Any, differential: Differential) -> None:
    body = case.body
    query = body["query"] if isinstance(body, dict) else str(body)
    variables = body.get("variables") if isinstance(body, dict) else None
    for key in ("tenant", "number"):
        differential.same(query, variables, key)


@given(
    query=st.sampled_from(VALID),
    variables=st.dictionaries(
        st.sampled_from(["p", "tz", "first", "after", "id", "s", "e", "r"]), JSON
    ),
)
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_fuzzers_variables(
    differential: Differential, query: str, variables: dict[str, Any]
) -> None:
    differential.same(query, json.loads(json.dumps(variables)), "tenant")


def plans(outcome: str) -> float:
    """Lean operations by how their plan ran (gateway_graphql_execution_plans)."""
    sampled = REGISTRY.get_sample_value(
        "gateway_graphql_execution_plans_total", {"outcome": outcome}
    )
    return sampled or 0.0


def test_a_known_document_runs_by_its_plan(differential: Differential) -> None:
    for query, key in (
        ("{ dashboard(period: DAYS_7) { series { date total } totals { read } } }", "number"),
        ("{ numbers { id phoneNumber dashboard(period: DAYS_7) { series { date } } } }", "tenant"),
        ("{ sms { overview { messages { total deliveryRate } } } }", "tenant"),
    ):
        before = plans("planned")
        differential.same(query, key=key)  # its second answer, on the lean path, is planned
        assert plans("planned") - before == 1, query


@pytest.mark.parametrize(
    "query",
    [
        "{ dashboard(period: DAYS_7) { series @include(if: true) { date } } }",
        "{ dashboard(period: DAYS_7) { series @skip(if: false) { date } } }",
        "query Q @deprecated { dashboard { totals { total } } }",
        "{ dashboard { ...Figures } } fragment Figures on NumberDashboard { totals { total } }",
        "{ dashboard { ... on NumberDashboard { totals { total } } } }",
        "{ __typename dashboard { __typename } __schema { queryType { name } } }",
    ],
)
def test_what_the_plan_does_not_know_takes_the_executor(
    differential: Differential, query: str
) -> None:
    # Any directive (incremental delivery's @defer and @stream among them), fragments,
    # introspection: the executor answers, as it always did.
    before = plans("planned"), plans("handed_back")
    differential.same(query, key="number")
    assert (plans("planned"), plans("handed_back")) == before


def test_what_the_plan_cannot_answer_is_handed_back(differential: Differential) -> None:
    # A null where none may be, a value an Int refuses, an error raised while reading: the
    # executor answers again, with its errors and paths (and the same bytes as the stock path).
    query = "{ dashboard(period: DAYS_7) { series { date read } } }"
    differential.same(query, key="number")  # kept, planned
    before = plans("handed_back")
    answer = differential.same(query, key="number", faulty=True)
    assert plans("handed_back") > before
    assert [e["extensions"]["code"] for e in answer["errors"]] == ["INTERNAL_SERVER_ERROR"]
