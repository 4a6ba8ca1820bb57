"""Attacks on a live gateway, each the worst of its kind that the parser or the protocol accepts,
with a /healthz probe that measures how long the gateway stalls while they run."""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import statistics
import time
import zoneinfo
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from graphql import get_introspection_query

from gateway.http.webhooks import SIGNATURE_HEADER, sign
from gateway.schema.ids import encode_id

__all__ = ["ATTACKS", "Baseline", "Outcome", "Probe", "Target", "measure_calm", "run_attack"]

# Bounds, each a multiple of what the same run measured with nobody attacking (a Baseline),
# so that a machine slowed by other work moves the bounds with the figures they judge.
# Every answer the client waits for ends within this many cheap requests' time (at least
# ANSWER_TIMEOUT_FLOOR seconds); an attack that holds a request longer is reported with status 0
# (and the error's name) rather than holding the run.
ANSWER_TIMEOUT_CHEAP = 10_000
ANSWER_TIMEOUT_FLOOR = 40.0


@dataclass
class Target:
    """A running gateway and what an attacker (or its own tenant) holds for it."""

    base: str
    number_key: str
    tenant_key: str
    webhook: tuple[str, str] | None = None  # source name, secret
    billing_webhook: tuple[str, str] | None = None  # a MessageSender source: it takes billing
    pid: int | None = None
    metrics: str = ""  # /metrics on its own listener, where an operator scrapes it
    # Number-scoped keys of the same tenant besides these two, and the tenant's bound of live
    # subscriptions (GATEWAY_MAX_SUBSCRIPTIONS_PER_TENANT) that they try to pass.
    subscription_keys: list[str] = field(default_factory=list)
    tenant_subscriptions: int = 2000
    hold: float = 12.0  # how long slow clients hold their connections
    scale: float = 1.0  # of the floods' request counts (the test suite runs them smaller)
    zones_used: int = 0  # by the cheap requests, each in a zone of its own

    @property
    def graphql(self) -> str:
        return self.base + "/graphql"

    @property
    def ws(self) -> str:
        return self.base.replace("http://", "ws://") + "/graphql"


@dataclass
class Outcome:
    """What an attack saw: each answer's status and first error code, and what it measured."""

    name: str
    answers: list[tuple[int, str | None]] = field(default_factory=list)
    measured: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    worst_probe_ms: float = 0.0
    median_probe_ms: float = 0.0

    def statuses(self) -> set[int]:
        return {status for status, _ in self.answers}

    def codes(self) -> set[str | None]:
        return {code for _, code in self.answers}


@dataclass(frozen=True)
class Baseline:
    """The gateway with nobody attacking, measured in the same run just before an attack: the
    probe's worst and median wait, and the mean round trip of a cheap keyed request (which
    grows with whatever else the machine runs: the mean, for the preemptions a loaded
    machine inflicts on a few of them are what stretch an attack's stall too)."""

    worst_ms: float
    median_ms: float
    cheap_ms: float

    def answer_timeout(self) -> float:
        """Seconds a client waits for any answer."""
        return max(ANSWER_TIMEOUT_FLOOR, ANSWER_TIMEOUT_CHEAP * self.cheap_ms / 1000)

    def __str__(self) -> str:
        return (
            f"calm worst_healthz_ms={self.worst_ms:.1f} median_ms={self.median_ms:.1f} "
            f"cheap_request_ms={self.cheap_ms:.1f}"
        )


class Probe:
    """GET /healthz on its own connection, again as soon as it answers (20 ms apart), from a
    process of its own (so that the attacker's own work never delays it): the worst wait is how
    long the gateway's event loop was held, or its store (/healthz asks it `SELECT 1`; /livez
    asks nothing of it, so its wait is the event loop's alone).

    Used as a context manager, its waits are those between entering and leaving. Started once
    (`start`), it runs for a whole suite, `window(t0, t1)` handing back the waits that overlap
    [t0, t1] (time.monotonic(), one clock for every process): one process for every attack,
    not one spawned for each."""

    def __init__(self, base: str, path: str = "/healthz") -> None:
        self.url = base + path
        self.latencies: list[float] = []
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._asks: multiprocessing.Queue[tuple[float, float]] = context.Queue()
        self._results: multiprocessing.Queue[list[float]] = context.Queue()
        self._process = context.Process(
            target=_probe_process,
            args=(self.url, self._stop, self._asks, self._results),
            daemon=True,
        )

    def start(self) -> None:
        self._process.start()
        # Started once it has an answer: the spawned interpreter takes a while to come up.
        self._results.get(True, 30)

    def window(self, started: float, ended: float) -> list[float]:
        self._asks.put((started, ended))
        return self._results.get(True, 30)

    def stop(self) -> None:
        self._stop.set()
        self.latencies = self._results.get(True, 150)
        self._process.join(10)

    async def __aenter__(self) -> Probe:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def worst(self) -> float:
        return max(self.latencies, default=0.0)

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else 0.0


def _probe_process(url: str, stop: Any, asks: Any, results: Any) -> None:
    asyncio.run(_probe(url, stop, asks, results))


async def _probe(url: str, stop: Any, asks: Any, results: Any) -> None:
    waits: list[tuple[float, float, float]] = []  # (sent, answered, ms)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=1)
    ) as session:
        while not stop.is_set():
            started = time.monotonic()
            try:
                async with session.get(url) as response:
                    await response.read()
            except aiohttp.ClientError:
                pass
            answered = time.monotonic()
            waits.append((started, answered, (answered - started) * 1000))
            if len(waits) == 1:
                results.put([])  # ready
            while not asks.empty():
                low, high = asks.get()
                results.put([ms for sent, done, ms in waits[1:] if done >= low and sent <= high])
            await asyncio.sleep(0.02)
    results.put([ms for _, _, ms in waits[1:]])


Answers = list[tuple[int, str | None]]


def _code(body: object) -> str | None:
    if isinstance(body, list):
        body = body[0] if body else {}
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        extensions = errors[0].get("extensions") or {}
        return str(extensions.get("code"))
    code = body.get("code")  # the webhooks' own shape
    return None if code is None else str(code)


async def post(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> tuple[int, str | None]:
    """POST a raw body; (status, first error code), or (0, the error's name) if no answer came
    in time or the connection failed."""
    sent = {"content-type": "application/json", **(headers or {})}
    try:
        async with session.post(url, data=body, headers=sent) as response:
            raw = await response.read()
    except (TimeoutError, aiohttp.ClientError) as error:
        return 0, type(error).__name__
    try:
        return response.status, _code(json.loads(raw))
    except ValueError:
        return response.status, "NOT_JSON"


def _query(document: str, **extra: object) -> bytes:
    return json.dumps({"query": document, **extra}).encode()


# --- documents -----------------------------------------------------------------------------


def fragment_bomb(levels: int = 18) -> str:
    """Each fragment spreads the one before it twice, under two aliases: 2^levels paths."""
    fragments = ["fragment F0 on __Schema { queryType { name } }"]
    fragments += [
        f"fragment F{i} on __Schema {{ a: x {{ ...F{i - 1} }} b: y {{ ...F{i - 1} }} }}"
        for i in range(1, levels + 1)
    ]
    return f"query {{ __schema {{ ...F{levels} }} }} " + " ".join(fragments)


def introspection_amplified(aliases: int = 50) -> str:
    """One full introspection fragment (GraphiQL's), asked under many aliases."""
    full = get_introspection_query(descriptions=True)
    fragments = full[full.index("fragment FullType") :]
    selections = " ".join(f"s{i}: __schema {{ types {{ ...FullType }} }}" for i in range(aliases))
    return f"query {{ {selections} }} {fragments}"


def token_flood(tokens: int = 120_000) -> str:
    return "{ " + "a " * tokens + "}"


def nested_document(levels: int = 1300) -> str:
    return "{ __schema { " + "a { " * levels + "b" + " }" * levels + " } }"


def nested_literal(levels: int = 1300) -> str:
    return "{ numbers(first: " + "[" * levels + "1" + "]" * levels + ") { id } }"


def heavy_batch(operations: int = 10, aliases: int = 9) -> bytes:
    """Batches of 366-day cross-channel comparisons, each alias in a zone of its own."""
    zones = [
        "UTC", "Asia/Kathmandu", "America/Sao_Paulo", "Europe/Berlin", "Asia/Kolkata",
        "Pacific/Chatham", "America/New_York", "Australia/Adelaide", "Africa/Monrovia",
        "Asia/Tokyo",
    ]  # fmt: skip
    batch = []
    for op in range(operations):
        fields = " ".join(
            f'c{i}: deliveryByChannel(startDate: "2025-11-01", endDate: "2026-11-01",'
            f' timezone: "{zones[(op + i) % len(zones)]}")'
            " { days channels { channel totals { total delivered } series { date total } } }"
            for i in range(aliases)
        )
        batch.append({"query": f"query Heavy{op} {{ {fields} }}"})
    return json.dumps(batch).encode()


# --- attacks -------------------------------------------------------------------------------

Attack = Callable[[aiohttp.ClientSession, Target], Awaitable[Outcome]]


async def attack_fragment_bomb(session: aiohttp.ClientSession, target: Target) -> Outcome:
    outcome = Outcome("fragment bomb (2^18 paths), anonymous and keyed")
    body = _query(fragment_bomb())
    outcome.answers.append(await post(session, target.graphql, body))
    outcome.answers.append(
        await post(session, target.graphql, body, {"x-api-key": target.tenant_key})
    )
    return outcome


async def attack_introspection(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Repeated, as an anonymous client could forever; its answers' bytes are measured."""
    outcome = Outcome("introspection x50 aliases, anonymous, repeated")
    body = _query(introspection_amplified())
    largest = 0
    for _ in range(12):
        try:
            async with session.post(
                target.graphql, data=body, headers={"content-type": "application/json"}
            ) as response:
                raw = await response.read()
                largest = max(largest, len(raw))
                outcome.answers.append((response.status, _code(json.loads(raw))))
        except (TimeoutError, aiohttp.ClientError) as error:
            outcome.answers.append((0, type(error).__name__))
    outcome.measured["largest answer KB"] = largest / 1024
    return outcome


async def attack_token_flood(session: aiohttp.ClientSession, target: Target) -> Outcome:
    outcome = Outcome("240 KB document of 120,000 tokens, no key")
    body = _query(token_flood())
    for _ in range(4):
        outcome.answers.append(await post(session, target.graphql, body))
    return outcome


async def attack_nested_json(session: aiohttp.ClientSession, target: Target) -> Outcome:
    outcome = Outcome("JSON nested 100,000 deep (query, batch, webhook)")
    deep = b"[" * 100_000 + b"]" * 100_000
    outcome.answers.append(await post(session, target.graphql, b'{"query": ' + deep + b"}"))
    outcome.answers.append(await post(session, target.graphql, deep))
    keyed = {"x-api-key": target.tenant_key}
    outcome.answers.append(await post(session, target.graphql, b'{"query": ' + deep + b"}", keyed))
    if target.webhook is not None:
        name, secret = target.webhook
        headers = {SIGNATURE_HEADER: sign(secret, deep)}
        outcome.answers.append(await post(session, f"{target.base}/webhooks/{name}", deep, headers))
    return outcome


async def attack_nested_document(session: aiohttp.ClientSession, target: Target) -> Outcome:
    outcome = Outcome("document nested 1,300 deep (selections, list literal)")
    keyed = {"x-api-key": target.tenant_key}
    outcome.answers.append(await post(session, target.graphql, _query(nested_document())))
    outcome.answers.append(await post(session, target.graphql, _query(nested_document()), keyed))
    outcome.answers.append(await post(session, target.graphql, _query(nested_literal()), keyed))
    return outcome


async def attack_heavy_batch(session: aiohttp.ClientSession, target: Target) -> Outcome:
    outcome = Outcome("keyed batch: 10 x 9 deliveryByChannel over 366 days")
    keyed = {"x-api-key": target.tenant_key}
    for _ in range(3):
        outcome.answers.append(await post(session, target.graphql, heavy_batch(), keyed))
    return outcome


async def attack_heavy_within_limits(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """The dearest operation the cost limit lets through: year-long comparisons, one per zone."""
    outcome = Outcome("keyed: the heaviest deliveryByChannel the cost limit allows")
    keyed = {"x-api-key": target.tenant_key}
    for round_ in range(3):
        body = json.loads(heavy_batch(operations=1, aliases=HEAVIEST_ALLOWED))[0]
        body["query"] = body["query"].replace("2025-11-01", f"2025-11-0{round_ + 1}")
        outcome.answers.append(
            await post(session, target.graphql, json.dumps(body).encode(), keyed)
        )
    return outcome


# Year-long comparisons, as heavy_batch writes them, that one operation may hold within the
# default cost limit.
HEAVIEST_ALLOWED = 6


async def attack_operation_names(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Invented operation names, anonymous: /metrics must not grow with them."""
    outcome = Outcome("8,000 anonymous operations with invented names")
    metrics = target.metrics or target.base + "/metrics"
    async with session.get(metrics) as response:
        before = len(await response.read())
    semaphore = asyncio.Semaphore(16)

    async def one(i: int) -> tuple[int, str | None]:
        async with semaphore:
            return await post(session, target.graphql, _query(f"query Op{i:05d} {{ __typename }}"))

    answers = await asyncio.gather(*(one(i) for i in range(int(8000 * target.scale))))
    outcome.answers = sorted(set(answers))
    async with session.get(metrics) as response:
        after = len(await response.read())
    outcome.measured["metrics KB before"] = before / 1024
    outcome.measured["metrics KB after"] = after / 1024
    return outcome


def _rss_mb(pid: int | None) -> float:
    if pid is None:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def attack_persisted_flood(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Persisted-query registrations of documents carrying a 250 KB string, without a key."""
    outcome = Outcome("1,500 anonymous persisted-query registrations of 250 KB")
    before = _rss_mb(target.pid)
    semaphore = asyncio.Semaphore(8)
    padding = "x" * 250_000

    async def one(i: int) -> tuple[int, str | None]:
        document = f'{{ __type(name: "{i}{padding}") {{ name }} }}'
        digest = hashlib.sha256(document.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        async with semaphore:
            return await post(session, target.graphql, _query(document, extensions=extensions))

    answers = await asyncio.gather(*(one(i) for i in range(int(1500 * target.scale))))
    outcome.answers = sorted(set(answers))
    outcome.measured["RSS MB before"] = before
    outcome.measured["RSS MB after"] = _rss_mb(target.pid)
    return outcome


async def attack_ws_flood(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Ordinary queries sent as `subscribe` over one socket, as fast as it takes them."""
    outcome = Outcome("560 operations over one socket in 0.5 s")
    query = "{ dashboard(period: DAYS_7) { totals { total } } }"
    async with session.ws_connect(target.ws, protocols=["graphql-transport-ws"]) as socket:
        await socket.send_json(
            {"type": "connection_init", "payload": {"x-api-key": target.number_key}}
        )
        await socket.receive_json(timeout=10)
        for i in range(560):
            await socket.send_json({"type": "subscribe", "id": str(i), "payload": {"query": query}})
            if i % 40 == 39:
                await asyncio.sleep(0.035)
        seen: dict[str, tuple[int, str | None]] = {}
        deadline = time.monotonic() + 20
        while len(seen) < 560 and time.monotonic() < deadline:
            try:
                message = await socket.receive_json(timeout=deadline - time.monotonic())
            except (TimeoutError, TypeError, ValueError):
                break
            operation = message.get("id")
            if message.get("type") == "next" and operation not in seen:
                seen[operation] = (200, None)
            elif message.get("type") == "error":
                seen[operation] = (200, _code({"errors": message.get("payload") or [{}]}))
    outcome.answers = list(seen.values())
    outcome.measured["answered"] = sum(1 for _, code in seen.values() if code is None)
    return outcome


async def attack_ws_sockets(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """50 sockets x 20 live dashboards from one key, then webhooks that wake every one."""
    outcome = Outcome("50 sockets x 20 subscriptions from one key, then webhooks")
    query = "subscription($p: Period) { dashboard(period: $p) { totals { total read } } }"
    sockets = []
    accepted = 0
    # A session of its own: fifty sockets stay open at once, beyond the shared pool's size.
    own = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    for _ in range(50):
        socket = await own.ws_connect(target.ws, protocols=["graphql-transport-ws"])
        sockets.append(socket)
        await socket.send_json(
            {"type": "connection_init", "payload": {"x-api-key": target.number_key}}
        )
        try:
            reply = await socket.receive(timeout=10)
        except TimeoutError:
            continue
        if (
            reply.type == aiohttp.WSMsgType.TEXT
            and json.loads(reply.data)["type"] == "connection_ack"
        ):
            accepted += 1
            for i in range(20):
                period = ("DAYS_7", "DAYS_30", "DAYS_90")[i % 3]
                payload = {"query": query, "variables": {"p": period}}
                await socket.send_json({"type": "subscribe", "id": str(i), "payload": payload})
    outcome.measured["sockets accepted"] = accepted
    if target.webhook is not None:
        name, secret = target.webhook
        for i in range(5):
            event = {
                "event": "message.sent",
                "messageId": f"adv-{time.time_ns()}-{i}",
                "from": "+5511955550101",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            body = json.dumps([event]).encode()
            headers = {SIGNATURE_HEADER: sign(secret, body), "content-type": "application/json"}
            async with session.post(
                f"{target.base}/webhooks/{name}", data=body, headers=headers
            ) as response:
                outcome.answers.append((response.status, None))
            await asyncio.sleep(0.5)
    for socket in sockets:
        await socket.close()
    await own.close()
    return outcome


async def attack_slowloris(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """400 connections whose headers never end, held while the probe runs."""
    outcome = Outcome("400 connections with unfinished headers")
    host, port = target.base.removeprefix("http://").rsplit(":", 1)
    writers = []
    for _ in range(400):
        try:
            reader, writer = await asyncio.open_connection(host, int(port))
        except OSError:
            continue
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n")
        writers.append((reader, writer))
    await asyncio.sleep(0.2)
    outcome.measured["opened"] = len(writers)
    await asyncio.sleep(target.hold)
    still = 0
    for reader, writer in writers:
        try:
            writer.write(b"X-More: 1\r\n")
            await writer.drain()
            await asyncio.sleep(0)
            if not reader.at_eof() and not writer.is_closing():
                still += 1
        except (ConnectionError, OSError):
            pass
    outcome.measured["still open"] = still
    for _, writer in writers:
        writer.close()
    return outcome


async def _post_events(
    session: aiohttp.ClientSession, target: Target, source: tuple[str, str], events: list[Any]
) -> tuple[int, str | None]:
    """A signed webhook body; (status, the first refused event's own code)."""
    name, secret = source
    body = json.dumps(events).encode()
    headers = {SIGNATURE_HEADER: sign(secret, body), "content-type": "application/json"}
    try:
        async with session.post(
            f"{target.base}/webhooks/{name}", data=body, headers=headers
        ) as response:
            answer = json.loads(await response.read())
    except (TimeoutError, aiohttp.ClientError):
        return 0, None
    refused = answer.get("events") if isinstance(answer, dict) else None
    return response.status, (refused[0]["code"] if refused else _code(answer))


async def _billing(session: aiohttp.ClientSession, target: Target) -> dict[str, Any]:
    query = _query("{ billing { customerPortalUrl credits { available } } }")
    headers = {"x-api-key": target.tenant_key, "content-type": "application/json"}
    async with session.post(target.graphql, data=query, headers=headers) as response:
        answer = await response.json()
    return answer["data"]["billing"] or {"customerPortalUrl": None, "credits": {"available": 0}}


async def attack_cross_platform(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """The issue's billing.credits of +10 M, signed with the WhatsApp source's secret, in
    bodies of 1,000 events each (every one a distinct purchase)."""
    outcome = Outcome("billing.credits +10 M x 1,000 signed by a Pilot Status source")
    assert target.webhook is not None
    before = (await _billing(session, target))["credits"]["available"]
    for round_ in range(3):
        credits = [
            {"type": "billing.credits", "id": f"adv-{round_}-{i}", "pool": "purchased",
             "delta": 10_000_000}
            for i in range(1000)
        ]  # fmt: skip
        outcome.answers.append(await _post_events(session, target, target.webhook, credits))
    after = (await _billing(session, target))["credits"]["available"]
    outcome.measured["credits moved"] = after - before
    return outcome


async def attack_javascript_portal(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """A billing.account whose customer portal is a script, from the source that bills."""
    outcome = Outcome("billing.account with a javascript: customer portal URL")
    assert target.billing_webhook is not None
    account = {
        "type": "billing.account", "organizationId": "adv", "billingStatus": "active",
        "pricingModel": "per_message", "available": 0,
        "portalUrls": {"customer_portal": "javascript:alert(document.domain)//"},
    }  # fmt: skip
    for _ in range(3):
        outcome.answers.append(
            await _post_events(session, target, target.billing_webhook, [account])
        )
    served = (await _billing(session, target))["customerPortalUrl"]
    outcome.measured["script served"] = float(
        served is not None and not served.startswith(("http://", "https://"))
    )
    return outcome


# The deprecated unpaged list as a tenant's dashboard page asked it before numbersConnection.
ALL_NUMBERS = """query ($z: String) { numbers { phoneNumber
  dashboard(period: DAYS_90, timezone: $z) { totals { total } series { date sent } } } }"""
ENTITIES = """query ($r: [_Any!]!) { _entities(representations: $r) {
  ... on WhatsAppNumber { phoneNumber } } }"""


async def attack_unbounded_lists(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Lists that grew with a tenant, asked whole: `_entities` with 3,333 representations in
    variables (250 KB, within the body limit), and the deprecated `numbers` with 90-day
    dashboards on a tenant above the cap of numbers it lists (the gateway under attack is
    started with a cap below the tenant's numbers)."""
    outcome = Outcome("_entities x 3,333 in variables; numbers above its cap")
    key = {"x-api-key": target.tenant_key}
    representations = [
        {"__typename": "WhatsAppNumber", "id": encode_id("WhatsAppNumber", "native", n % 10)}
        for n in range(3333)
    ]
    entities = _query(ENTITIES, variables={"r": representations})
    outcome.measured["entities KB"] = len(entities) / 1024
    numbers = _query(ALL_NUMBERS, variables={"z": "Asia/Kathmandu"})
    rounds = max(4, int(40 * target.scale))
    for _ in range(rounds):
        sent = await asyncio.gather(
            post(session, target.graphql, entities, key),
            post(session, target.graphql, numbers, key),
        )
        outcome.answers.extend(sent)
    return outcome


async def attack_variables(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """Variables that no token limit sees: 100,000 values, JSON 100,000 deep, 11 levels (one
    past the default depth), the issue's 3,333 `_entities` representations, and a batch whose
    last operation carries them; with a key and without."""
    outcome = Outcome("variables: 100,000 values, 100,000 deep, 3,333 representations")
    entities = "query($r: [_Any!]!) { _entities(representations: $r) { __typename } }"
    representations = [
        {"__typename": "WhatsAppNumber", "id": str(n)} for n in range(3_333)
    ]  # 250 KB, as in the issue, within the body's limit
    eleven: object = 1
    for _ in range(11):
        eleven = [eleven]
    deep = b"[" * 100_000 + b"]" * 100_000
    bodies = [
        json.dumps(
            {"query": entities, "variables": {"r": [1] * 100_000}}, separators=(",", ":")
        ).encode(),  # 200 KB
        b'{"query": "{ __typename }", "variables": {"d": ' + deep + b"}}",
        _query("{ __typename }", variables={"d": eleven}),
        _query(entities, variables={"r": representations}),
        json.dumps(
            [{"query": "{ __typename }"}, {"query": entities, "variables": {"r": representations}}]
        ).encode(),
    ]
    for headers in ({"x-api-key": target.tenant_key}, {}):
        for body in bodies:
            outcome.answers.append(await post(session, target.graphql, body, headers))
    return outcome


async def attack_simple_request(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """What a page on another site can POST without a preflight, carrying a query: each is 415,
    never executed, as fast as the gateway answers anything."""
    outcome = Outcome("cross-site simple requests: text/plain, a form, multipart")
    body = _query("{ dashboard(period: DAYS_90) { totals { total } } }")
    kinds = [
        "text/plain;charset=application/json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ]
    for _ in range(int(200 * target.scale)):
        for kind in kinds:
            headers = {"content-type": kind, "x-api-key": target.number_key}
            outcome.answers.append(await post(session, target.graphql, body, headers))
    return outcome


# Subscriptions a key holds in the attack: five sockets, 96 in all, within the key's share of
# sockets (8) and the burst of its rate (100 operations).
SOCKETS_OF_A_KEY = (20, 20, 20, 20, 16)


def keys_for_subscriptions(limit: int) -> int:
    """Keys the tenant-subscriptions attack needs to pass `limit`, one to spare."""
    return -(-limit // sum(SOCKETS_OF_A_KEY)) + 1


async def attack_tenant_subscriptions(session: aiohttp.ClientSession, target: Target) -> Outcome:
    """The tenant's whole bound of live dashboards, held from many keys' sockets (up to each
    key's share and burst) from three client addresses, then one more on a socket and one as
    a stream: those two refused, the rest held."""
    limit = target.tenant_subscriptions
    outcome = Outcome(f"a tenant's subscription {limit + 1:,} (many keys, sockets and a stream)")
    query = "subscription($p: Period) { dashboard(period: $p) { totals { total } } }"
    clients = [
        aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=0, local_addr=(f"127.0.0.{i}", 0))
        )
        for i in (2, 3, 4)
    ]
    sockets: list[tuple[aiohttp.ClientWebSocketResponse, int]] = []
    keys = list(target.subscription_keys)
    asked = 0
    # Earlier attacks' subscriptions all given back first: the whole bound is this one's.
    await _live_subscriptions(session, target, until=0)
    try:
        while asked < limit and keys:
            key = keys.pop()
            for room in SOCKETS_OF_A_KEY:
                count = min(room, limit - asked)
                if count <= 0:
                    break
                socket = await _subscribed(clients[len(sockets) % 3], target, key, query, count)
                sockets.append((socket, count))
                asked += count
        held = await asyncio.gather(*(_first_answers(s, n) for s, n in sockets))
        outcome.measured["held"] = sum(codes.count(None) for codes in held)
        outcome.answers += sorted({(200, code) for codes in held for code in codes}, key=str)
        # One past the bound: on a socket of a key with room, then as a stream.
        if keys:
            extra = await _subscribed(clients[0], target, keys.pop(), query, 1)
            [code] = await _first_answers(extra, 1)
            outcome.answers.append((200, code))
            outcome.measured["refused past the bound"] = float(code == "RATE_LIMITED")
            await extra.close()
        stream = {"content-type": "application/json", "accept": "text/event-stream"}
        stream["x-api-key"] = target.tenant_key
        outcome.answers.append(await post(session, target.graphql, _query(query), stream))
    finally:
        for socket, _ in sockets:
            await socket.close()
        for client in clients:
            await client.close()
    outcome.measured["held after"] = await _live_subscriptions(session, target, until=0)
    return outcome


async def _live_subscriptions(
    session: aiohttp.ClientSession, target: Target, until: int, seconds: float = 10
) -> float:
    """The gateway's live subscriptions by its /metrics, once they are `until` (or as they
    are after `seconds`)."""
    held = -1.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        async with session.get(target.metrics or target.base + "/metrics") as response:
            text = await response.text()
        held = next(
            float(line.split()[-1])
            for line in text.splitlines()
            if line.startswith("gateway_live_subscriptions ")
        )
        if held == until:
            break
        await asyncio.sleep(0.1)
    return held


async def _subscribed(
    client: aiohttp.ClientSession, target: Target, key: str, query: str, count: int
) -> aiohttp.ClientWebSocketResponse:
    """A socket of `key` with `count` live dashboards asked on it."""
    socket = await client.ws_connect(target.ws, protocols=["graphql-transport-ws"])
    await socket.send_json({"type": "connection_init", "payload": {"x-api-key": key}})
    await socket.receive(timeout=10)
    for i in range(count):
        period = ("DAYS_7", "DAYS_30", "DAYS_90")[i % 3]
        payload = {"query": query, "variables": {"p": period}}
        await socket.send_json({"type": "subscribe", "id": str(i), "payload": payload})
    return socket


async def _first_answers(socket: aiohttp.ClientWebSocketResponse, count: int) -> list[str | None]:
    """Each subscription's first answer: None for data, else its error's code."""
    seen: dict[str, str | None] = {}
    deadline = time.monotonic() + 30
    while len(seen) < count and time.monotonic() < deadline:
        try:
            message = await socket.receive_json(timeout=deadline - time.monotonic())
        except (TimeoutError, TypeError, ValueError):
            break
        operation = message.get("id")
        if message.get("type") == "next" and operation not in seen:
            seen[operation] = None
        elif message.get("type") == "error":
            seen[operation] = _code({"errors": message.get("payload") or [{}]})
    return list(seen.values()) + ["NO_ANSWER"] * (count - len(seen))


ATTACKS: dict[str, Attack] = {
    "fragments": attack_fragment_bomb,
    "introspection": attack_introspection,
    "tokens": attack_token_flood,
    "nested-json": attack_nested_json,
    "nested-document": attack_nested_document,
    "heavy-batch": attack_heavy_batch,
    "heavy-allowed": attack_heavy_within_limits,
    "operation-names": attack_operation_names,
    "persisted-flood": attack_persisted_flood,
    "ws-flood": attack_ws_flood,
    "ws-sockets": attack_ws_sockets,
    "slowloris": attack_slowloris,
    "cross-platform": attack_cross_platform,
    "javascript-url": attack_javascript_portal,
    "unbounded-lists": attack_unbounded_lists,
    "variables": attack_variables,
    "simple-request": attack_simple_request,
    "tenant-subscriptions": attack_tenant_subscriptions,
}


async def run_attack(
    name: str, target: Target, calm: Baseline | None = None, probe: Probe | None = None
) -> Outcome:
    """One attack with the probe running beside it (`probe`, already started, or one of its
    own); the client's timeout scaled by `calm`."""
    total = calm.answer_timeout() if calm is not None else ANSWER_TIMEOUT_FLOOR
    timeout = aiohttp.ClientTimeout(total=total)
    connector = aiohttp.TCPConnector(limit=32)
    own = probe is None
    watching = probe or Probe(target.base)
    if own:
        await asyncio.to_thread(watching.start)
    try:
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            started = time.monotonic()
            outcome = await ATTACKS[name](session, target)
            outcome.seconds = time.monotonic() - started
            await asyncio.sleep(0.1)
            waits = await asyncio.to_thread(watching.window, started, time.monotonic())
    finally:
        if own:
            await asyncio.to_thread(watching.stop)
    outcome.worst_probe_ms = max(waits, default=0.0)
    outcome.median_probe_ms = statistics.median(waits) if waits else 0.0
    return outcome


# A cheap request that does real work: a week's dashboard of one number, in a zone of its own
# each time, so that the response cache never answers it.
CHEAP = "query($z: String) { dashboard(period: DAYS_7, timezone: $z) { totals { total } } }"
ZONES = sorted(zone for zone in zoneinfo.available_timezones() if "/" in zone)


async def measure_calm(target: Target, probe: Probe, seconds: float = 0.6) -> Baseline:
    """The probe's waits and a cheap keyed request's round trips, one after another for
    `seconds`, with nobody attacking."""
    trips: list[float] = []
    keyed = {"content-type": "application/json", "x-api-key": target.number_key}
    timeout = aiohttp.ClientTimeout(total=ANSWER_TIMEOUT_FLOOR)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        started = time.monotonic()
        while time.monotonic() - started < seconds or len(trips) < 5:
            target.zones_used += 1
            zone = ZONES[target.zones_used % len(ZONES)]
            body = json.dumps({"query": CHEAP, "variables": {"z": zone}}).encode()
            sent = time.perf_counter()
            async with session.post(target.graphql, data=body, headers=keyed) as response:
                await response.read()
            trips.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.01)
        waits = await asyncio.to_thread(probe.window, started, time.monotonic())
    return Baseline(
        worst_ms=max(waits, default=0.0),
        median_ms=statistics.median(waits) if waits else 0.0,
        cheap_ms=statistics.fmean(trips),
    )


async def baseline(target: Target, seconds: float = 2.0) -> Probe:
    """The probe alone, for the latency the gateway has when nobody attacks it."""
    async with Probe(target.base) as probe:
        await asyncio.sleep(seconds)
    return probe
