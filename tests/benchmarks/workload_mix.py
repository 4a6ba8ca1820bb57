"""The realistic workload's documents, zones and requests: what dashboards really ask.

Each document kind is one of issue 22's dashboard documents or one of the examples the README
and `examples/queries/` show. A mix request is a kind, asked by one of the kind's keys, in a
random zone of the sample, with a random period, `pastDays` or date range where the kind has
one. Everything is drawn from a seeded generator, so two runs (before and after a change) ask
the same requests.
"""

from __future__ import annotations

import random
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

__all__ = ["KINDS", "ZONES", "Keys", "Kind", "fresh_zones", "mix_requests", "wrk_script"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "queries"

# Real IANA zones: DST ones north and south, half-hour and 45-minute offsets, whole hours
# without DST, and UTC.
ZONES = (
    "UTC",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Los_Angeles",
    "America/Chicago",
    "America/Mexico_City",
    "America/Santiago",
    "America/St_Johns",
    "America/Caracas",
    "America/Havana",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "Europe/Moscow",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Tehran",
    "Asia/Kabul",
    "Asia/Yangon",
    "Asia/Dubai",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Asia/Jerusalem",
    "Asia/Colombo",
    "Australia/Adelaide",
    "Australia/Darwin",
    "Australia/Eucla",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Marquesas",
    "Pacific/Apia",
    "Atlantic/Azores",
    "America/Sao_Paulo",  # the most common viewer, twice as likely
    "Europe/Berlin",
)

DASHBOARD = (
    "query($z: String, $p: Period) { numbersConnection(first: 10) { edges { node { phoneNumber "
    "dashboard(period: $p, timezone: $z) { totals { total sent delivered read failed "
    "deliveryRate } series { date total sent delivered read failed } } } } } }"
)
BEST = (
    "query($z: String, $s: String, $e: String) { sms { bestSendTimes(timezone: $z, "
    "startDate: $s, endDate: $e) { byHour { slot totalSent delivered deliveryRate } "
    "byDayOfWeek { slot totalSent delivered deliveryRate } } } }"
)
CHANNELS = (
    "query($z: String, $p: Period) { deliveryByChannel(period: $p, timezone: $z) { days "
    "channels { channel totals { total delivered failed deliveryRate } "
    "series { date total delivered failed } } } }"
)
TRENDS = (
    "query($z: String, $s: String, $e: String) { sms { trends(timezone: $z, startDate: $s, "
    "endDate: $e) { date messages { total sent delivered failed } campaigns { total } } } }"
)
EMAIL = (
    "query($z: String, $d: Int!) { email { dashboard(pastDays: $d, timezone: $z) { "
    "emailsSent { value previous diff } uniqueOpens { value previous diff } "
    "openRate { value previous diff } bounces { value previous diff } "
    "newContacts { value previous diff } } } }"
)
README = (  # the README's first query, asked with a number-scoped key
    "query($z: String, $p: Period) { dashboard(period: $p, timezone: $z) { startDate endDate "
    "totals { total sent delivered read failed deliveryRate readRate } "
    "series { date sent delivered read failed } } }"
)


@dataclass(frozen=True)
class Keys:
    """The keys the load comes from: tenant-scoped ones and number-scoped ones."""

    tenant: list[str]
    number: list[str]


Draw = Callable[[random.Random, datetime], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """One kind of document: the query, whose keys ask it, its variables in the table (on a
    miss) and drawn at random in the mix."""

    name: str
    query: str
    scope: str  # "tenant" or "number"
    fixed: dict[str, Any]
    draw: Draw


def _period(rng: random.Random, _: datetime) -> dict[str, Any]:
    return {"p": rng.choice(("DAYS_7", "DAYS_30", "DAYS_90"))}


def _range(rng: random.Random, now: datetime) -> dict[str, Any]:
    """Nothing (the default window), or a range of local dates ending today or earlier."""
    if rng.random() < 0.5:
        return {}
    today = now.date()
    start = today - timedelta(days=rng.randint(7, 90))
    end = min(today + timedelta(days=1), start + timedelta(days=rng.randint(7, 90)))
    return {"s": start.isoformat(), "e": end.isoformat()}


def _past_days(rng: random.Random, _: datetime) -> dict[str, Any]:
    return {"d": rng.choice((1, 7, 14, 28, 30, 60, 90))}


def _example(name: str) -> str:
    return (EXAMPLES / name).read_text()


def _nothing(rng: random.Random, now: datetime) -> dict[str, Any]:
    return {}


def _renamed(draw: Draw, names: dict[str, str]) -> Draw:
    def renamed(rng: random.Random, now: datetime) -> dict[str, Any]:
        return {names.get(k, k): v for k, v in draw(rng, now).items()}

    return renamed


KINDS = (
    Kind("numbers DAYS_30 x10", DASHBOARD, "tenant", {"p": "DAYS_30"}, _period),
    Kind("numbers DAYS_90 x10", DASHBOARD, "tenant", {"p": "DAYS_90"}, _period),
    Kind("sms bestSendTimes", BEST, "tenant", {}, _range),
    Kind("deliveryByChannel 90", CHANNELS, "tenant", {"p": "DAYS_90"}, _period),
    Kind("sms trends", TRENDS, "tenant", {}, _range),
    Kind("email dashboard 30", EMAIL, "tenant", {"d": 30}, _past_days),
    Kind("README dashboard", README, "number", {"p": "DAYS_7"}, _period),
    Kind("example sms_analytics", _example("sms_analytics.graphql"), "tenant", {}, _nothing),
    Kind(
        "example email_reports",
        _example("email_reports.graphql"),
        "tenant",
        {"pastDays": 30},
        _renamed(_past_days, {"d": "pastDays"}),
    ),
)


def _zone_name(kind: Kind) -> str:
    # The examples name their zone variable `timezone`; the benchmark's own documents `z`.
    return "timezone" if "$timezone" in kind.query else "z"


def _body(kind: Kind, zone: str, variables: dict[str, Any]) -> bytes:
    return orjson.dumps({"query": kind.query, "variables": {**variables, _zone_name(kind): zone}})


def miss_body(kind: Kind, zone: str) -> bytes:
    """The kind's table document, in `zone`."""
    return _body(kind, zone, kind.fixed)


def fresh_zones(seed: int) -> Iterator[str]:
    """Every IANA zone the system knows, in a seeded order: each request of the table on a miss
    takes the next, so no process is asked a zone twice."""
    names = sorted(zoneinfo.available_timezones())
    random.Random(seed).shuffle(names)
    return iter(names)


def key_of(kind: Kind, keys: Keys, rng: random.Random) -> str:
    return rng.choice(keys.tenant if kind.scope == "tenant" else keys.number)


def mix_requests(keys: Keys, count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` requests of the mix (key, body): every kind as likely, its key, zone and window
    drawn at random."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    requests = []
    for _ in range(count):
        kind = rng.choice(KINDS)
        body = _body(kind, rng.choice(ZONES), kind.draw(rng, now))
        requests.append((key_of(kind, keys, rng), body))
    return requests


LUA = """
local requests = {
%s
}
local formatted = {}
hits, bad = 0, 0  -- globals: done() reads them through thread:get
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%d)
  for i, r in ipairs(requests) do
    formatted[i] = wrk.format("POST", "/graphql", {["content-type"] = "application/json",
      ["accept-encoding"] = "identity", ["x-api-key"] = r[1]}, r[2])
  end
end

function request()
  return formatted[math.random(#formatted)]
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then bad = bad + 1 end
  if headers["x-cache"] == "hit" or headers["X-Cache"] == "hit" then hits = hits + 1 end
end

function done(summary, latency, requests)
  local h, b = 0, 0
  for _, thread in ipairs(threads) do
    h = h + thread:get("hits")
    b = b + thread:get("bad")
  end
  io.write(string.format("MIX requests=%%d p50_us=%%d p99_us=%%d hits=%%d bad=%%d\\n",
    summary.requests, latency:percentile(50), latency:percentile(99), h, b))
end
"""


def wrk_script(requests: list[tuple[str, bytes]], seed: int) -> str:
    """A wrk script that sends the requests in a random order, and at the end prints the
    count, p50, p99, cache hits and answers that were not a clean 200."""
    rows = ",\n".join(f"{{[==[{key}]==], [==[{body.decode()}]==]}}" for key, body in requests)
    return LUA % (rows, seed)
