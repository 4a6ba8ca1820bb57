"""Every adapter against Prism serving its platform's OpenAPI document: the documents' examples
map into the graph, each documented error becomes its code, and random answers valid for the
schemas are answered or are a typed UPSTREAM_ERROR, never an internal error. The contract
fixture fails any test in which the gateway sent a request the document does not allow."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.domain.auth import KeyKind, default_scopes
from gateway.http.appkeys import CONFIGURATION
from gateway.providers.native.tenancy import Tenancy
from gateway.schema.ids import encode_id
from tests.support.contracts import PS_NUMBER, TENANTS, Contract
from tests.support.gateway import Answer, World

PILOT_STATUS = """{ numbers { phoneNumber dashboard(period: DAYS_7, timezone: "UTC") {
  totals { total sent delivered read failed } series { date } } } }"""
MESSAGESENDER = """{ sms {
  overview(startDate: "2025-03-25", endDate: "2025-04-24") {
    messages { total queued sent delivered failed } campaigns { total completed scheduled }
    contacts { total textable optedOut } }
  latest: overview { messages { total } }
  trends(startDate: "2025-04-19", endDate: "2025-04-22", timezone: "UTC") {
    date messages { total delivered } campaigns { total completed } }
  topCampaigns(limit: 5) { name createdAt messages { total sent delivered failed } }
  bestSendTimes(timezone: "UTC") { byHour { slot totalSent } byDayOfWeek { slot totalSent } }
  campaignExport(startDate: "2025-04-01", endDate: "2025-05-01") {
    campaignName status totalRecipients sent delivered failed createdAt completedAt } }
  billing { organizationId billingStatus pricingModel subscription { id paidThrough }
    credits { available included total }
    availableCreditProducts { id creditsAmount priceCents } }
  creditBalance { balance } }"""
EMAIL = """query ($id: ID!) { email {
  dashboard(pastDays: 30, timezone: "Europe/Berlin") { emailsSent { value previous diff }
    counts { emailsSent { value previous diff } } }
  overall(pastDays: 30) { sent delivered opens { unique total } bounces { hard soft total } }
  histogram(pastDays: 3) { date sent uniqueOpens } }
  campaign(id: $id) { name ... on EmailCampaign {
    report { performance { sent opens { unique } } linkActivity { url uniqueClicks } }
    engagement(period: HOURS_24) { start opens } } } }"""
EMAIL_ID = {"id": encode_id("EmailCampaign", "er", "em-007")}
SENDGRID = """query ($id: ID!) { email {
  dashboard(pastDays: 1) { emailsSent { value previous diff } delivered { value }
    counts { uniqueOpens { value previous } } }
  overall(pastDays: 2) { sent delivered opens { total } bounces { hard soft total } }
  day: overall(pastDays: 1) { opens { unique total } }
  histogram(pastDays: 2) { date sent uniqueOpens } }
  campaign(id: $id) { name ... on EmailCampaign {
    report { performance { sent opens { unique } } linkActivity { url clicks } } } } }"""
SINGLE_SEND = {"id": encode_id("EmailCampaign", "sg", "2f6dec81-43b9-4c67-a890-3a38cb63b54a")}
QUERIES = {
    "ps": (PILOT_STATUS, None),
    "ms": (MESSAGESENDER, None),
    "er": (EMAIL, EMAIL_ID),
    "sg": (SENDGRID, SINGLE_SEND),
}


async def ask(contract: Contract, world: World, platform: str) -> Answer:
    query, variables = QUERIES[platform]
    answer = await contract.query(world.keys[f"{TENANTS[platform]}_tenant"], query, variables)
    assert answer.status == 200, answer.body
    return answer


async def test_pilot_status_example_maps_into_the_graph(contract: Contract, world: World) -> None:
    answer = await ask(contract, world, "ps")
    assert "errors" not in answer.body, answer.body
    [board] = [n["dashboard"] for n in answer.data["numbers"] if n["phoneNumber"] == PS_NUMBER]
    # The example's totals; its one day (2026-06-19) is outside the window, so days are zero.
    assert board["totals"] == {
        "total": 1292,
        "sent": 1280,
        "delivered": 1240,
        "read": 980,
        "failed": 12,
    }
    assert len(board["series"]) == 7


async def test_a_key_of_the_pilot_status_number_answers_from_there(
    contract: Contract, world: World
) -> None:
    tenancy = Tenancy(world.store)
    [number] = [n for n in await tenancy.list_numbers("acme") if n.phone_number == PS_NUMBER]
    issued = await tenancy.create_key(
        "acme", KeyKind.NUMBER, default_scopes(KeyKind.NUMBER), number_id=number.id
    )
    answer = await contract.query(
        issued.key, "{ linkedNumber { phoneNumber } dashboard { totals { sent } } }"
    )
    assert answer.data == {
        "linkedNumber": {"phoneNumber": PS_NUMBER},
        "dashboard": {"totals": {"sent": 1280}},
    }, answer.body


async def test_messagesender_examples_map_into_the_graph(contract: Contract, world: World) -> None:
    answer = await ask(contract, world, "ms")
    assert "errors" not in answer.body, answer.body
    sms = answer.data["sms"]
    assert sms["overview"]["messages"] == {
        "total": 48500,
        "queued": 0,
        "sent": 48200,
        "delivered": 46800,
        "failed": 300,
    }
    assert sms["overview"]["contacts"] == {"total": 15420, "textable": 14100, "optedOut": 320}
    assert [d["date"] for d in sms["trends"]] == ["2025-04-19", "2025-04-20", "2025-04-21"]
    assert sms["trends"][1]["messages"] == {"total": 4200, "delivered": 4050}
    assert sms["trends"][1]["campaigns"] == {"total": 1, "completed": 1}
    [top] = sms["topCampaigns"]
    assert top["name"] == "April Fundraiser Blast" and top["messages"]["total"] == 4200
    assert sms["bestSendTimes"]["byHour"][9] == {"slot": 9, "totalSent": 12400}
    assert sms["bestSendTimes"]["byDayOfWeek"][1] == {"slot": 1, "totalSent": 18500}
    [row] = sms["campaignExport"]
    assert (row["campaignName"], row["status"], row["sent"]) == (
        "April Fundraiser Blast",
        "completed",
        4187,
    )
    billing = answer.data["billing"]
    assert billing["credits"] == {"available": 24500, "included": 10000, "total": 34500}
    assert billing["subscription"] == {"id": "sub_abc123", "paidThrough": "2025-05-31"}
    assert billing["availableCreditProducts"] == [
        {"id": "prod_xyz789", "creditsAmount": 10000, "priceCents": 4900}
    ]
    assert answer.data["creditBalance"] == {"balance": 24500}


async def test_email_report_examples_map_into_the_graph(contract: Contract, world: World) -> None:
    answer = await ask(contract, world, "er")
    assert "errors" not in answer.body, answer.body
    email = answer.data["email"]
    assert email["dashboard"]["emailsSent"] == {"value": 5200.0, "previous": 4800.0, "diff": 8.33}
    # The same count from the platform's API, as an Int.
    counted = email["dashboard"]["counts"]["emailsSent"]
    assert counted == {"value": 5200, "previous": 4800, "diff": 8.33}
    assert type(counted["value"]) is int and type(counted["previous"]) is int
    assert email["overall"]["bounces"] == {"hard": 60, "soft": 40, "total": 100}
    assert len(email["histogram"]) == 3
    campaign = answer.data["campaign"]
    assert campaign["name"] == "Newsletter 7"
    assert campaign["report"]["performance"] == {"sent": 1200, "opens": {"unique": 410}}
    assert campaign["engagement"] == [{"start": "2026-11-02T09:00:00+00:00", "opens": 40}]


async def test_sendgrid_examples_map_into_the_graph(contract: Contract, world: World) -> None:
    answer = await ask(contract, world, "sg")
    assert "errors" not in answer.body, answer.body
    email = answer.data["email"]
    # The 22nd against the 21st: sent is delivered + bounces + blocks.
    assert email["dashboard"]["emailsSent"] == {"value": 1200.0, "previous": 1000.0, "diff": 20.0}
    assert email["dashboard"]["delivered"] == {"value": 1190.0}
    assert email["overall"] == {
        "sent": 2200,
        "delivered": 2180,
        "opens": {"total": 1500},
        "bounces": {"hard": 18, "soft": 2, "total": 20},
    }
    # One UTC day: SendGrid's own uniques, exact.
    assert email["day"] == {"opens": {"unique": 500, "total": 800}}
    assert email["dashboard"]["counts"]["uniqueOpens"] == {"value": 500, "previous": 400}
    assert email["histogram"] == [
        {"date": "2026-11-21", "sent": 1000, "uniqueOpens": 400},
        {"date": "2026-11-22", "sent": 1200, "uniqueOpens": 500},
    ]
    campaign = answer.data["campaign"]
    assert campaign["name"] == "November newsletter"
    assert campaign["report"]["performance"] == {"sent": 1200, "opens": {"unique": 610}}
    assert campaign["report"]["linkActivity"] == [
        {"url": "https://example.com/offer", "clicks": 100},
        {"url": "https://example.com/blog", "clicks": 50},
    ]


async def test_sendgrid_says_what_it_cannot_answer(contract: Contract, world: World) -> None:
    marks = len(contract.prisms["sg"].lines)
    answer = await contract.query(
        world.keys["globex_tenant"],
        """query ($id: ID!) { email {
          local: overall(pastDays: 7, timezone: "America/Sao_Paulo") { sent }
          utc: overall(pastDays: 7, timezone: "UTC") { sent }
          uniques: overall(pastDays: 2) { opens { unique } }
          rate: overall(pastDays: 2) { clicks { rate } }
          dashboard(pastDays: 7) { newContacts { value } }
          board: dashboard(pastDays: 2) { openRate { value } }
          counted: dashboard(pastDays: 2) { counts { uniqueClicks { value } } } }
          campaign(id: $id) { ... on EmailCampaign {
            report { linkActivity { uniqueClicks } } } } }""",
        SINGLE_SEND,
    )
    codes = {tuple(e["path"]): e["extensions"]["code"] for e in answer.body["errors"]}
    assert codes == {
        ("email", "local"): "TIMEZONE_NOT_SUPPORTED",
        # Over two days SendGrid's uniques would be each day's added up: refused, each in its
        # own field, with why.
        ("email", "uniques", "opens", "unique"): "UNSUPPORTED_BY_SOURCE",
        ("email", "rate", "clicks", "rate"): "UNSUPPORTED_BY_SOURCE",
        ("email", "board", "openRate"): "UNSUPPORTED_BY_SOURCE",
        ("email", "counted", "counts", "uniqueClicks"): "UNSUPPORTED_BY_SOURCE",
        ("email", "dashboard", "newContacts"): "UNSUPPORTED_BY_SOURCE",
        ("campaign", "report", "linkActivity", 0, "uniqueClicks"): "UNSUPPORTED_BY_SOURCE",
    }, answer.body
    assert answer.data["email"]["utc"] == {"sent": 2200}
    [said] = [e["message"] for e in answer.body["errors"] if e["path"][1] == "uniques"]
    assert said.startswith("sg counts unique opens within one day only: over 2 days")
    engagement = await contract.query(
        world.keys["globex_tenant"],
        "query ($id: ID!) { campaign(id: $id) { ... on EmailCampaign {"
        " engagement(period: WEEK) { opens } } } }",
        SINGLE_SEND,
    )
    assert engagement.codes == ["UNSUPPORTED_BY_SOURCE"]
    # The refused timezone never reached SendGrid: its one /v3/stats call was the UTC one's
    # (the dashboard's asks other dates).
    asked = [line for line in contract.prisms["sg"].lines[marks:] if "/v3/stats?" in line]
    assert not any("Sao_Paulo" in line for line in asked)


async def test_sendgrid_link_stats_are_followed_page_by_page_up_to_the_bound(
    contract: Contract, world: World
) -> None:
    # Prism answers every page of the send's link stats with a next one: the plugin follows
    # `_metadata.next` (its page_token, as the document allows) up to its bound, then says so.
    contract.prefer("example=paged", "sg")
    app = contract.gateway.server.app
    assert app is not None
    client = app[CONFIGURATION].in_use.registry.get("sg").client  # type: ignore[attr-defined]
    calls = client.calls
    answer = await contract.query(
        world.keys["globex_tenant"],
        """query ($id: ID!) { campaign(id: $id) { ... on EmailCampaign {
          report { performance { sent } linkActivity { url clicks } } } } }""",
        SINGLE_SEND,
    )
    [error] = answer.body["errors"]
    assert error["path"] == ["campaign", "report", "linkActivity"]
    assert error["extensions"] == {
        "code": "TOO_MANY_RESULTS",
        "limit": "maxLinkRows",
        "max": 20 * 50,
        "source": "sg",
    }
    # linkActivity, report and campaign are non-null: the error nulls up to the campaign.
    assert answer.data == {"campaign": None}
    # The single send, its stats, the first page of its link stats and the page of the
    # example's next token (the contract fixture fails a request the document disallows); the
    # 18 more pages asking that same token again are the shared client's identical calls,
    # answered once.
    assert client.calls - calls == 2 + 2


ERRORS = [
    ("ps", 400, "BAD_USER_INPUT", "Validation error"),
    ("ps", 401, "UPSTREAM_ERROR", "Unauthorized"),
    ("ps", 402, "PAYMENT_REQUIRED", "Paid subscription required"),
    ("ps", 403, "TENANT_SCOPE_NOT_ALLOWED", "Tenant-scoped keys cannot call number endpoints"),
    ("ps", 404, "NOT_FOUND", "Not found"),
    ("ps", 409, "NUMBER_NOT_LINKED", "API key is not linked to a number"),
    ("ps", 429, "RATE_LIMITED", "Too many requests"),
    ("ms", 400, "BAD_USER_INPUT", "Something went wrong"),
    ("ms", 401, "UPSTREAM_ERROR", "Something went wrong"),
    ("ms", 403, "FORBIDDEN", "Something went wrong"),
    ("ms", 429, "RATE_LIMITED", "Too many requests"),
    ("ms", 500, "UPSTREAM_ERROR", "Something went wrong"),
    ("er", 400, "BAD_USER_INPUT", "Invalid pastDays value (must be 1-90)"),
    ("er", 401, "UPSTREAM_ERROR", "Invalid or inactive API key"),
    ("er", 403, "FORBIDDEN", "Key lacks reports:read scope"),
    ("er", 429, "RATE_LIMITED", "Rate limit exceeded"),
    ("sg", 400, "BAD_USER_INPUT", "authorization required"),
    ("sg", 401, "UPSTREAM_ERROR", "authorization required"),
    ("sg", 403, "FORBIDDEN", "authorization required"),
    ("sg", 429, "RATE_LIMITED", "authorization required"),
    ("sg", 500, "UPSTREAM_ERROR", "authorization required"),
]
# Retry-After as each document gives it with its 429 (SendGrid's gives none: the default).
RETRY_AFTER = {"ps": 1.0, "ms": 30.0, "er": 30.0, "sg": 1.0}


@pytest.mark.parametrize(("platform", "status", "code", "said"), ERRORS)
async def test_each_documented_error_is_its_code_in_every_field_of_its_source(
    contract: Contract, world: World, platform: str, status: int, code: str, said: str
) -> None:
    contract.prefer(f"code={status}", platform)
    answer = await ask(contract, world, platform)
    errors = answer.body["errors"]
    assert errors
    for error in errors:
        extensions = error["extensions"]
        assert (extensions["code"], extensions["source"]) == (code, platform), error
        assert extensions["upstreamStatus"] == status
        assert error["message"] == f"{platform}: {said}"
        if code == "RATE_LIMITED":  # the documented Retry-After, or the default without one
            assert extensions["retryAfter"] == RETRY_AFTER[platform]


async def test_an_unknown_email_campaign_is_not_found(contract: Contract, world: World) -> None:
    contract.prefer("code=404", "er")
    answer = await contract.query(
        world.keys["acme_tenant"], "query ($id: ID!) { campaign(id: $id) { name } }", EMAIL_ID
    )
    [error] = answer.body["errors"]
    assert error["extensions"] == {
        "code": "NOT_FOUND",
        "source": "er",
        "upstreamStatus": 404,
        "upstreamCode": "RecordNotFound",
    }


def typed(answer: Answer) -> list[dict[str, Any]]:
    """Every error of an answer to random upstream answers: the upstream's, with its source."""
    assert answer.status == 200, answer.body
    errors = answer.body.get("errors", [])
    for error in errors:
        extensions = error["extensions"]
        assert extensions.get("source") in ("ps", "ms", "er", "sg"), error
        assert extensions["code"] != "INTERNAL_SERVER_ERROR", error
        assert len(error["message"]) <= 400
    return list(errors)


# Prism's random answers: 200s, and each documented error with a random body.
FUZZ = ["dynamic=true"] * 6 + [f"code={c}, dynamic=true" for c in (400, 401, 403, 429)]
UPSTREAM_FIELDS = {"ps": 1, "ms": 8, "er": 5, "sg": 4}
FUZZ_CODES = {
    "dynamic=true": {"UPSTREAM_ERROR"},
    "code=400, dynamic=true": {"BAD_USER_INPUT"},
    "code=401, dynamic=true": {"UPSTREAM_ERROR"},
    "code=403, dynamic=true": {"FORBIDDEN", "TENANT_SCOPE_NOT_ALLOWED"},
    "code=429, dynamic=true": {"RATE_LIMITED"},
}


@pytest.mark.parametrize("platform", ["ps", "ms", "er", "sg"])
async def test_random_answers_valid_for_the_document_are_answers_or_typed_errors(
    contract: Contract, world: World, platform: str
) -> None:
    answered = 0
    for round_ in range(4):
        for prefer in FUZZ:
            contract.prefer(prefer, platform)
            errors = typed(await ask(contract, world, platform))
            unexpected = [e for e in errors if e["extensions"]["code"] not in FUZZ_CODES[prefer]]
            assert unexpected == [], (round_, prefer)
            for error in errors:
                if error["extensions"]["code"] == "RATE_LIMITED":
                    assert 0 <= error["extensions"]["retryAfter"] <= 3600
            if prefer == "dynamic=true":
                answered += UPSTREAM_FIELDS[platform] - len(errors)
    # Random answers valid for the document are mostly answered, not refused wholesale (a
    # random string is no CSV export, and the trends' two metrics share one schema).
    asked = 4 * FUZZ.count("dynamic=true") * UPSTREAM_FIELDS[platform]
    assert answered >= asked // 2, (answered, asked)
