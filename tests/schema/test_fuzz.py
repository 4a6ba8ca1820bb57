"""Generated queries against a live gateway with demo data: never a 5xx, never an internal error.

Schemathesis writes queries from `schema.graphql` (every root field, random arguments and
selections) and sends each with a tenant key, a number key and no key. A few hundred run in the
test command; for a long run, raise GATEWAY_FUZZ_EXAMPLES (examples per root field) and let the
seed vary:

    GATEWAY_FUZZ_EXAMPLES=2000 GATEWAY_FUZZ_RANDOM=1 .venv/bin/pytest tests/schema/test_fuzz.py -s
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.domain.timewindows import zone_names
from gateway.errors import INTERNAL_CODE
from tests.support.fuzz import JSON, SCHEMA, VALID
from tests.support.live import LiveGateway, start_gateway

EXAMPLES = int(os.environ.get("GATEWAY_FUZZ_EXAMPLES", "30"))
RANDOM = os.environ.get("GATEWAY_FUZZ_RANDOM") == "1"
KNOWN_CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "TENANT_SCOPE_NOT_ALLOWED",
    "NUMBER_NOT_LINKED",
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "UNSUPPORTED_BY_SOURCE",
}
LEAKS = ("Traceback", 'File "', "sqlite", "SELECT ", "agk_")

TALLY: Counter[str] = Counter()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    # Bad keys are part of what is sent: the address limit on them has tests of its own.
    env = {"GATEWAY_RATE_LIMIT": "0", "GATEWAY_ANONYMOUS_RATE_LIMIT": "0"}
    gateway = start_gateway(tmp_path_factory.mktemp("fuzz"), env=env)
    yield gateway
    code, log = gateway.stop()
    print(f"\nfuzz: {sum(TALLY[k] for k in TALLY if k.startswith('HTTP'))} requests; {dict(TALLY)}")
    assert code == 0
    assert "internal error" not in log, log


def check(status: int, body: Any, text: str, sent: str) -> None:
    """A typed answer; `sent` is what was asked, which an error message may quote back."""
    TALLY[f"HTTP {status}"] += 1
    assert status < 500, text
    assert isinstance(body, dict), text
    for error in body.get("errors") or []:
        code = error["extensions"]["code"]
        TALLY[code] += 1
        assert code != INTERNAL_CODE and code in KNOWN_CODES, text
        assert isinstance(error["message"], str) and error["message"], text
    assert not any(leak in text and leak not in sent for leak in LEAKS), text


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_queries_get_typed_answers(case: Any, live: LiveGateway) -> None:
    base = live.url
    for key in (live.keys["tenant"], live.keys["number"], None):
        response = case.call(base_url=base, headers={"x-api-key": key} if key else {})
        sent = json.dumps(case.body, ensure_ascii=False)
        check(response.status_code, response.json(), response.text, sent)
        if key is None:
            assert response.status_code == 401


def dumps(value: object) -> bytes:
    return json.dumps(value).encode()


BODIES = st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda value: dumps(value)),
    st.text(max_size=200).map(lambda query: dumps({"query": query})),
    st.tuples(
        st.sampled_from(VALID),
        st.dictionaries(st.sampled_from(["p", "tz", "first", "after", "id", "s", "e", "r"]), JSON),
    ).map(lambda pair: dumps({"query": pair[0], "variables": pair[1]})),
    st.lists(st.sampled_from(VALID).map(lambda q: {"query": q}), max_size=12).map(dumps),
)


@given(
    body=BODIES,
    content_type=st.sampled_from(["application/json", "text/plain", "application/graphql"]),
)
@settings(
    max_examples=EXAMPLES * 20,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_malformed_bodies_get_typed_refusals(
    live: LiveGateway, body: bytes, content_type: str
) -> None:
    request = urllib.request.Request(
        live.url,
        data=body,
        headers={"x-api-key": live.keys["tenant"], "content-type": content_type},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    answer = json.loads(text)
    sent = body.decode(errors="replace")
    if isinstance(answer, list):  # a batch: one answer per operation
        for one in answer:
            check(status, one, text, sent)
    else:
        check(status, answer, text, sent)


DATED_FIELDS = [
    "deliveryByChannel(startDate: $s, endDate: $e, timezone: $tz) { days }",
    "sms { overview(startDate: $s, endDate: $e, timezone: $tz) { deliveryRate } }",
    "sms { trends(startDate: $s, endDate: $e, timezone: $tz) { date } }",
    "sms { topCampaigns(startDate: $s, endDate: $e, timezone: $tz) { name } }",
    "sms { bestSendTimes(startDate: $s, endDate: $e, timezone: $tz) { byHour { slot } } }",
    "sms { campaignExport(startDate: $s, endDate: $e, timezone: $tz) { campaignName } }",
]
EDGE_DATES = ["0001-01-01", "0001-01-02", "1899-12-31", "1900-01-01", "1969-12-31", "1970-01-01"]
EDGE_DATES += ["2099-12-31", "2100-01-01", "2199-12-31", "2200-01-01", "9999-12-30", "9999-12-31"]
DATES = st.one_of(
    st.sampled_from(EDGE_DATES),
    st.dates().map(str),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.tuples(st.dates(), st.sampled_from(["Z", "+14:00", "-12:00", "+05:45"])).map(
        lambda pair: f"{pair[0]}T23:59:59{pair[1]}"
    ),
)


@given(
    field=st.sampled_from(DATED_FIELDS),
    start=st.none() | DATES,
    end=st.none() | DATES,
    zone=st.sampled_from(sorted(zone_names())),
)
@settings(
    max_examples=EXAMPLES * 8,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_dates_at_the_calendars_edges_in_every_zone(
    live: LiveGateway, field: str, start: str | None, end: str | None, zone: str
) -> None:
    """Any date in any zone through every date-taking field (and the CSV export): an answer or
    BAD_USER_INPUT, never an internal error."""
    query = f"query($s: String, $e: String, $tz: String) {{ {field} }}"
    body = dumps({"query": query, "variables": {"s": start, "e": end, "tz": zone}})
    request = urllib.request.Request(
        live.url,
        data=body,
        headers={"x-api-key": live.keys["tenant"], "content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    check(response.status, json.loads(text), text, body.decode())
    codes = {e["extensions"]["code"] for e in json.loads(text).get("errors") or []}
    assert codes <= {"BAD_USER_INPUT"}, text
    params = {"timezone": zone, **({"startDate": start} if start else {})}
    params |= {"endDate": end} if end else {}
    export = live.url.replace("/graphql", "/export/campaigns.csv?") + urllib.parse.urlencode(params)
    request = urllib.request.Request(export, headers={"x-api-key": live.keys["tenant"]})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200 and response.read().startswith(b"Campaign Name")
    except urllib.error.HTTPError as error:
        assert error.code == 400, error.read()
