"""Every example runs as it is: the queries validate against the schema, the client works."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from graphql import parse, validate

from gateway.schema import build_schema
from tests.support.gateway import Gateway, World
from tests.support.live import free_port

EXAMPLES = Path(__file__).parent.parent / "examples"


@pytest.mark.parametrize(
    "path", sorted((EXAMPLES / "queries").glob("*.graphql")), ids=lambda p: p.name
)
def test_example_queries_are_valid(path: Path) -> None:
    assert validate(build_schema()._schema, parse(path.read_text())) == []


async def test_example_queries_run(gateway: Gateway, world: World) -> None:
    for path, key in [
        ("number_dashboard.graphql", "acme_sales"),
        ("all_numbers.graphql", "acme_tenant"),
    ]:
        document = (EXAMPLES / "queries" / path).read_text()
        variables = {"period": "DAYS_30"} if path == "number_dashboard.graphql" else None
        answer = await gateway.query(world.keys[key], document, variables)
        assert answer.status == 200 and "errors" not in answer.body, path


async def test_client_prints_a_dashboard(gateway: Gateway, world: World) -> None:
    await world.send("sales", "m1", datetime(2026, 11, 22, 9, tzinfo=UTC))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "client.py"),
        "--url",
        gateway.url,
        "--key",
        world.keys["acme_sales"],
        "--timezone",
        "Asia/Kathmandu",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "(Asia/Kathmandu)" in text and "2026-11-22       1  " in text


async def test_client_reports_errors_by_code(gateway: Gateway, world: World) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "client.py"),
        "--url",
        gateway.url,
        "--key",
        world.keys["acme_tenant"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 1 and "TENANT_SCOPE_NOT_ALLOWED" in err.decode()


async def test_gql_client_queries_then_follows_a_live_dashboard(
    gateway: Gateway, world: World
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / "gql_client.py"),
        *("--url", gateway.url, "--key", world.keys["acme_sales"], "--updates", "2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    summary = await asyncio.wait_for(process.stdout.readline(), 30)
    assert b"2026-11-16 .. 2026-11-22: 0 messages" in summary, summary
    first = await asyncio.wait_for(process.stdout.readline(), 30)
    assert b"'total': 0" in first, first
    await world.send("sales", "m1", datetime(2026, 11, 22, 9, tzinfo=UTC))  # as an import would
    second = await asyncio.wait_for(process.stdout.readline(), 30)
    assert b"'total': 1" in second and b"'delivered': 1" in second, second
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()


@pytest.mark.parametrize("script", ["client.py", "gql_client.py"])
async def test_clients_say_in_one_line_that_nothing_listens(script: str) -> None:
    url = f"http://127.0.0.1:{free_port()}/graphql"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / script),
        *("--url", url, "--key", "agk_nothing"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 2 and out == b""
    [line] = err.decode().splitlines()
    assert line.startswith(f"cannot ask the gateway at {url}: Cannot connect to host"), line
