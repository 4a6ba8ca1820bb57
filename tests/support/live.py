"""A gateway running as its own process on a loopback port, as a user starts it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["LiveGateway", "free_port", "start_gateway"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveGateway:
    process: subprocess.Popen[str]
    port: int
    banner: str
    log: Path
    keys: dict[str, str] = field(default_factory=dict)
    metrics_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def metrics_url(self) -> str:
        """/metrics on its own loopback listener."""
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def query(
        self, key: str | None, query: str, variables: dict[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["x-api-key"] = key
        request = urllib.request.Request(
            self.url,
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self) -> tuple[int, str]:
        """SIGTERM, wait, and return the exit code and what the gateway logged."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        self.process.communicate(timeout=30)  # also closes stdout
        return self.process.returncode, self.log.read_text()


def start_gateway(
    data_dir: Path,
    *args: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    wait_for: str = "curl",
    program: Sequence[str] = (sys.executable, "-m", "gateway"),
    cwd: Path | None = None,
) -> LiveGateway:
    """`gateway serve` with `args`, returned once its banner has printed `wait_for` (with the
    demo, its last line); the demo keys it printed are in `.keys`. What it logs goes to a file
    beside the data, so a long run never blocks on a full pipe. `program` is how the gateway is
    started (another installation's `gateway` command, say)."""
    port = port or free_port()
    log = data_dir / f"gateway-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "GATEWAY_DATA_DIR": str(data_dir),
        "GATEWAY_PORT": str(port),
        # Its own, rather than the default 9090 every gateway on the machine would want.
        "GATEWAY_METRICS_PORT": str(free_port()),
        **(env or {}),
    }
    with log.open("a") as stderr:
        process = subprocess.Popen(
            [*program, "serve", *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=environment,
            cwd=cwd,
        )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if wait_for in line:
            break
    banner = "".join(lines)
    metrics = environment["GATEWAY_METRICS_PORT"]
    gateway = LiveGateway(process, port, banner, log, metrics_port=int(metrics))
    if wait_for not in banner:
        process.kill()
        process.communicate()
        raise AssertionError(f"the gateway did not start:\n{banner}{log.read_text()}")
    gateway.keys = dict(re.findall(r"(number|tenant)-scoped key\s+(agk_\S+)", banner))
    return gateway
