"""`serve --workers 2`: two processes share one port, reload on SIGHUP, and all of them stop on
SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.support.live import free_port


def wait_for_log(log: Path, text: str, times: int) -> None:
    deadline = time.monotonic() + 15
    while log.read_text().count(text) < times:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)


def test_two_workers_share_the_port_reload_and_stop_together(tmp_path: Path) -> None:
    port, metrics = free_port(), free_port()
    sources = tmp_path / "sources.toml"
    sources.write_text("# no upstream sources yet\n")
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(port),
        "GATEWAY_METRICS_PORT": str(metrics),
        "GATEWAY_SOURCES_FILE": str(sources),
        # A list setting reaches the workers as JSON, as they read it.
        "GATEWAY_CORS_ORIGINS": '["https://app.example"]',
    }
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--no-demo"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f":{port}/graphql" in banner, banner + log.read_text()
        # The banner comes once both workers listen; each new connection is hashed to one.
        workers: set[int] = set()
        asked = 0
        deadline = time.monotonic() + 20
        while len(workers) < 2 and time.monotonic() < deadline:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"connection": "close"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                workers.add(json.loads(response.read())["worker"])
            asked += 1
        assert len(workers) == 2, f"{asked} requests all met {workers}\n{log.read_text()}"
        assert server.pid not in workers
        # The workers share the metrics port as they share the public one, and whichever
        # answers a scrape adds up both workers' counts.
        scrape = urllib.request.Request(
            f"http://127.0.0.1:{metrics}/metrics", headers={"connection": "close"}
        )
        with urllib.request.urlopen(scrape, timeout=5) as response:
            text = response.read().decode()
        [line] = [
            line
            for line in text.splitlines()
            if line.startswith('gateway_http_requests_total{route="/healthz",status="200"}')
        ]
        assert float(line.split()[-1]) >= asked
        # SIGHUP: the supervisor refuses a bad file once, and passes a good one to each worker.
        sources.write_text("[sources.ms\n")
        server.send_signal(signal.SIGHUP)
        wait_for_log(log, "reload refused", 1)
        sources.write_text('[sources.ms]\nplatform = "messagesender"\nbase_url = "http://x"\n')
        server.send_signal(signal.SIGHUP)
        wait_for_log(log, "reloaded: configuration 2, sources ms, native", 2)
        assert log.read_text().count("reload refused") == 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
    assert server.returncode == 0, log.read_text()
    for pid in workers:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"worker {pid} outlived the supervisor")


def test_a_taken_port_is_a_one_line_error_with_or_without_workers(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for workers in ("1", "2"):
            result = subprocess.run(
                [sys.executable, "-m", "gateway", "serve", "--workers", workers, "--no-demo"],
                env={**os.environ, "GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_PORT": str(port)},
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode != 0
            assert "address already in use" in result.stderr
            assert "Traceback" not in result.stderr, result.stderr


def test_workers_share_one_metrics_port_picked_for_them(tmp_path: Path) -> None:
    """GATEWAY_METRICS_PORT=0 with workers: one free port, chosen once, that every worker
    listens on, so that a scrape of it adds up all of them."""
    env = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(tmp_path),
        "GATEWAY_PORT": str(free_port()),
        "GATEWAY_METRICS_PORT": "0",
    }
    log = tmp_path / "stderr.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--no-demo"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    try:
        assert server.stdout is not None
        assert "/graphql" in server.stdout.readline(), log.read_text()
        wait_for_log(log, "metrics at http://127.0.0.1:", 2)
        ports = {
            line.rsplit(":", 1)[1].removesuffix("/metrics")
            for line in log.read_text().splitlines()
            if "metrics at http://" in line
        }
        assert len(ports) == 1 and ports != {"0"}, log.read_text()
        public = env["GATEWAY_PORT"]
        with urllib.request.urlopen(f"http://127.0.0.1:{public}/healthz", timeout=5) as r:
            assert r.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{ports.pop()}/metrics", timeout=5) as r:
            assert b'gateway_http_requests_total{route="/healthz",status="200"}' in r.read()
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=20)
    assert server.returncode == 0, log.read_text()
