"""`serve --workers 2`: two processes share one port, and all of them stop on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.test_cli import _free_port


def test_two_workers_share_the_port_and_stop_together(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "GATEWAY_DATA_DIR": str(tmp_path), "GATEWAY_PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve", "--workers", "2", "--no-demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        assert f":{port}/graphql" in banner, banner + server.stderr.read()  # type: ignore[union-attr]
        workers: set[int] = set()
        deadline = time.monotonic() + 20
        while len(workers) < 2 and time.monotonic() < deadline:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/healthz", headers={"connection": "close"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:
                workers.add(json.loads(response.read())["worker"])
        assert len(workers) == 2 and server.pid not in workers
    finally:
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=20)
    assert server.returncode == 0, err
    for pid in workers:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"worker {pid} outlived the supervisor")
