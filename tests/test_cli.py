"""The gateway command, run as a user would: in-process for key management, as a real process
for serve."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gateway.__main__ import main
from gateway.schema import build_schema


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_key_lifecycle_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = ["--data-dir", str(tmp_path)]
    assert run(capsys, "tenants", "create", "acme", "--name", "Acme", *store)[0] == 0
    code, out, _ = run(capsys, "numbers", "add", "--tenant", "acme", "+5511900000001", *store)
    assert code == 0 and "+5511900000001" in out

    code, out, _ = run(
        capsys, "keys", "create", "--tenant", "acme", "--number", "+5511900000001", "--json", *store
    )
    created = json.loads(out)
    assert code == 0 and created["kind"] == "number" and created["scopes"] == ["analytics:read"]
    assert created["key"].startswith("agk_") and created["keyId"].startswith("agi_")

    code, out, _ = run(
        capsys, "keys", "create", "--tenant", "acme", "--scope", "reports:read", "--json", *store
    )
    assert json.loads(out)["kind"] == "tenant" and json.loads(out)["scopes"] == ["reports:read"]

    code, out, _ = run(capsys, "keys", "list", "--tenant", "acme", *store)
    assert code == 0 and out.count("active") == 2 and created["key"] not in out

    code, out, _ = run(capsys, "keys", "revoke", created["handle"], *store)
    assert code == 0 and created["handle"] in out
    _, out, _ = run(capsys, "keys", "list", "--tenant", "acme", *store)
    assert out.count("revoked") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["keys", "create", "--tenant", "nobody"], "no tenant 'nobody'"),
        (["keys", "create", "--tenant", "acme", "--scope", "root"], "unknown scope"),
        (["keys", "create", "--tenant", "acme", "--number", "+999"], "has no number"),
        (
            ["keys", "create", "--tenant", "acme", "--kind", "tenant", "--number", "+1"],
            "cannot be linked",
        ),
        (["keys", "revoke", "key_nope"], "no such key"),
        (["tenants", "create", "bad id!"], "must be letters"),
    ],
)
def test_bad_commands_say_why_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    run(capsys, "tenants", "create", "acme", "--data-dir", str(tmp_path))
    code, _, err = run(capsys, *argv, "--data-dir", str(tmp_path))
    assert code == 2 and message in err and "Traceback" not in err


def test_export_schema_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export-schema")
    assert code == 0 and out == build_schema().as_str() + "\n"


def test_seed_demo_prints_working_keys_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "seed-demo", "--json", "--data-dir", str(tmp_path))
    keys = json.loads(out)
    assert code == 0 and "seeded" in err
    assert keys["tenantKey"].startswith("agk_") and keys["numberKey"].startswith("agk_")
    # Again: no second copy of the data, fresh keys.
    code, out, err = run(capsys, "seed-demo", "--json", "--data-dir", str(tmp_path))
    assert code == 0 and "seeded" not in err and json.loads(out)["tenantKey"] != keys["tenantKey"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    env = {**os.environ, "GATEWAY_DATA_DIR": str(data_dir), "GATEWAY_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    banner: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        banner.append(line)
        if "curl" in line:
            break
    text = "".join(banner)
    keys = dict(re.findall(r"(number|tenant)-scoped key\s+(agk_\S+)", text))
    if set(keys) != {"number", "tenant"}:
        process.kill()
        pytest.fail(text + process.communicate()[1])
    return process, keys


def _query(port: int, key: str, query: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"x-api-key": key, "content-type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)  # also closes the pipes
    return process.returncode, err


def test_serve_on_an_empty_store_seeds_demo_data_and_prints_keys(tmp_path: Path) -> None:
    port = _free_port()
    process, keys = _start(tmp_path, port)
    try:
        status, body = _query(
            port,
            keys["number"],
            "{ dashboard(period: DAYS_90) { totals "
            "{ total sent delivered read failed } series { date } } }",
        )
        assert status == 200 and "errors" not in body, body
        board = body["data"]["dashboard"]
        assert len(board["series"]) == 90 and board["totals"]["total"] > 10_000
        status, body = _query(port, keys["tenant"], "{ numbers { phoneNumber } }")
        assert len(body["data"]["numbers"]) == 4
    finally:
        assert _stop(process)[0] == 0

    # A restart keeps the data, does not seed again, and replaces the demo keys.
    process, new_keys = _start(tmp_path, port)
    try:
        status, _ = _query(port, keys["number"], "{ viewer { tenantId } }")
        assert status == 401
        status, body = _query(port, new_keys["tenant"], "{ numbers { phoneNumber } }")
        assert status == 200 and len(body["data"]["numbers"]) == 4
    finally:
        code, err = _stop(process)
    assert code == 0 and "seeding" not in err


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "gateway"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "serve" in result.stdout
