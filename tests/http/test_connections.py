"""Slow and greedy clients of a gateway served as a user serves it: connections that never
finish their headers are closed, one address holds a bounded number of connections, and
/metrics is served on a loopback listener of its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import LiveGateway, free_port, start_gateway

METRICS_PORT = free_port()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    env = {
        "GATEWAY_HEADER_TIMEOUT_SECONDS": "1",
        "GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "20",
        "GATEWAY_METRICS_PORT": str(METRICS_PORT),
    }
    data = tmp_path_factory.mktemp("connections")
    gateway = start_gateway(Path(data), "--no-demo", env=env, wait_for="graphql")
    yield gateway
    gateway.stop()


async def half_open(
    port: int, count: int
) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    held = []
    for _ in range(count):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n")
        held.append((reader, writer))
    await asyncio.gather(*(writer.drain() for _, writer in held))
    return held


async def shut(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


async def closed(reader: asyncio.StreamReader, seconds: float) -> bool:
    """Whether the gateway closed the connection (or reset it) without an answer."""
    try:
        return await asyncio.wait_for(reader.read(), seconds) == b""
    except ConnectionResetError:
        return True


async def test_connections_that_never_finish_their_headers_are_closed(live: LiveGateway) -> None:
    held = await half_open(live.port, 10)
    started = time.monotonic()
    ends = await asyncio.gather(*(closed(reader, 10) for reader, _ in held))
    assert all(ends)
    assert time.monotonic() - started < 5
    for _, writer in held:
        await shut(writer)


async def test_an_address_holds_a_bounded_number_of_connections(live: LiveGateway) -> None:
    held = await half_open(live.port, 20)
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert await closed(reader, 5)  # the 21st is closed at once
    for _, held_writer in held:
        await shut(held_writer)
    await asyncio.sleep(0.2)
    status, _ = live.query(None, "{ __typename }")
    assert status == 200  # room again once they are gone
    await shut(writer)


def test_metrics_have_a_port_of_their_own(live: LiveGateway) -> None:
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=5) as r:
        assert b"gateway_http_requests" in r.read()
    with pytest.raises(urllib.error.HTTPError) as public:
        urllib.request.urlopen(f"http://127.0.0.1:{live.port}/metrics", timeout=5)
    assert public.value.code == 404
    public.value.close()


def test_metrics_listen_on_loopback_whatever_the_public_address(tmp_path: Path) -> None:
    """The public port on another address (127.0.0.2, as a public interface would be): /metrics
    stays on 127.0.0.1, off the public address, and off its port."""
    port, metrics = free_port(), free_port()
    env = {"GATEWAY_HOST": "127.0.0.2", "GATEWAY_METRICS_PORT": str(metrics)}
    gateway = start_gateway(tmp_path, "--no-demo", port=port, env=env, wait_for="graphql")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics", timeout=5) as r:
            assert b"gateway_http_requests" in r.read()
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"http://127.0.0.2:{metrics}/metrics", timeout=5)
        with pytest.raises(urllib.error.HTTPError) as public:
            urllib.request.urlopen(f"http://127.0.0.2:{port}/metrics", timeout=5)
        assert public.value.code == 404
        public.value.close()
    finally:
        gateway.stop()


def test_a_metrics_port_in_use_stops_the_start_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **os.environ,
            "GATEWAY_DATA_DIR": str(tmp_path),
            "GATEWAY_PORT": str(free_port()),
            "GATEWAY_METRICS_PORT": str(taken.getsockname()[1]),
        }
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "serve", "--no-demo"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    assert "GATEWAY_METRICS_PORT" in done.stderr and "Traceback" not in done.stderr


async def test_a_request_that_is_not_even_http_gets_a_typed_answer(live: LiveGateway) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", live.port)
    writer.write(b"GET /graphql?" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400" and b"application/json" in head
    assert b'"code": "BAD_USER_INPUT"' in body or b'"code":"BAD_USER_INPUT"' in body
    await shut(writer)
    assert "Traceback" not in live.log.read_text()
