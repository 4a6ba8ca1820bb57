"""The gateway command, run as a user would: in-process for key management, as a real process
for serve."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.__main__ import main
from gateway.schema import build_schema
from gateway.schema.sdl import schema_file_sdl
from tests.support.cli import empty_store
from tests.support.live import free_port, start_gateway
from tests.support.pg import create_database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_key_lifecycle_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty_store(tmp_path)
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
    # Keys made in the same second list in handle order: find each by its kind.
    number_line, tenant_line = sorted(out.splitlines(), key=lambda line: " tenant " in line)
    # In the user's terms: the phone number and the scope, not internal ids.
    assert number_line.split()[1:5] == [
        "active",
        "number",
        "+5511900000001",
        "scopes=analytics:read",
    ]
    assert tenant_line.split()[1:4] == ["active", "tenant", "scopes=reports:read"]
    assert "None" not in out and "number=" not in out

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
    empty_store(tmp_path)
    run(capsys, "tenants", "create", "acme", "--data-dir", str(tmp_path))
    code, _, err = run(capsys, *argv, "--data-dir", str(tmp_path))
    assert code == 2 and message in err and "Traceback" not in err


def test_export_schema_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "export-schema")
    assert code == 0 and out == schema_file_sdl(build_schema()) + "\n"


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


def test_serve_on_an_empty_store_seeds_demo_data_and_prints_keys(tmp_path: Path) -> None:
    gateway = start_gateway(tmp_path)
    keys = gateway.keys
    try:
        status, body = gateway.query(
            keys["number"],
            "{ dashboard(period: DAYS_90) { totals "
            "{ total sent delivered read failed } series { date } } }",
        )
        assert status == 200 and "errors" not in body, body
        board = body["data"]["dashboard"]
        assert len(board["series"]) == 90 and board["totals"]["total"] > 10_000
        status, body = gateway.query(keys["tenant"], "{ numbers { phoneNumber } }")
        assert len(body["data"]["numbers"]) == 4
    finally:
        assert gateway.stop()[0] == 0

    # A restart keeps the data, does not seed again, and replaces the demo keys.
    gateway = start_gateway(tmp_path, port=gateway.port)
    try:
        status, _ = gateway.query(keys["number"], "{ viewer { tenantId } }")
        assert status == 401
        status, body = gateway.query(gateway.keys["tenant"], "{ numbers { phoneNumber } }")
        assert status == 200 and len(body["data"]["numbers"]) == 4
    finally:
        code, log = gateway.stop()
    # One log for both runs, on the same port: it seeded the first time only.
    assert code == 0 and log.count("seeding demo data") == 1


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "gateway"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "serve" in result.stdout


QUERY_FILE = Path(__file__).parents[2] / "examples" / "queries" / "number_dashboard.graphql"


def test_query_runs_a_file_in_process_with_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "seed-demo", "--json", "--data-dir", str(tmp_path))
    key = json.loads(out)["numberKey"]
    code, out, err = run(
        capsys,
        *("query", str(QUERY_FILE), "--data-dir", str(tmp_path), "--key", key),
        *("--var", "period=DAYS_7", "--var", "timezone=Asia/Kathmandu"),
    )
    assert code == 0 and err == "", err
    board = json.loads(out)["dashboard"]
    assert board["timezone"] == "Asia/Kathmandu" and len(board["series"]) == 7
    # Errors go to stderr with their code and path, and the exit code says so.
    code, out, err = run(
        capsys,
        *("query", str(QUERY_FILE), "--data-dir", str(tmp_path), "--key", key),
        *("--var", "period=DAYS_7", "--var", "timezone=Mars/Base"),
    )
    assert code == 1 and json.loads(out) == {"dashboard": None}
    assert err.startswith("BAD_USER_INPUT at dashboard: unknown timezone")
    code, _, err = run(capsys, "query", str(QUERY_FILE), "--var", "novalue")
    assert code == 2 and "write name=value" in err


def test_query_asks_a_running_gateway(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gateway = start_gateway(tmp_path)
    try:
        code, out, _ = run(
            capsys,
            *("query", str(QUERY_FILE), "--url", gateway.url, "--key", gateway.keys["number"]),
            *("--var", "period=DAYS_30", "--raw"),
        )
    finally:
        gateway.stop()
    assert code == 0 and json.loads(out)["data"]["dashboard"]["period"] == "DAYS_30"


@pytest.mark.parametrize(
    "argv",
    [[], ["serve"], ["query"], ["import"], ["keys", "create"], ["webhooks", "create"]],
)
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main([*argv, "--help"])
    assert exit.value.code == 0 and "usage: gateway" in capsys.readouterr().out


def test_serve_on_postgresql_keeps_the_password_out_of_sight(tmp_path: Path, postgres: str) -> None:
    # The throwaway server trusts loopback connections, so any password is accepted.
    url = asyncio.run(create_database(postgres)).replace("://postgres@", "://postgres:s3cret@")
    gateway = start_gateway(tmp_path, "--workers", "2", env={"GATEWAY_STORE_URL": url})
    try:
        assert "postgres:***@" in gateway.banner and "s3cret" not in gateway.banner
        status, body = gateway.query(gateway.keys["tenant"], "{ numbers { phoneNumber } }")
        assert status == 200 and len(body["data"]["numbers"]) == 4, body
    finally:
        code, log = gateway.stop()
    assert code == 0 and "s3cret" not in log


def test_a_store_that_cannot_be_reached_is_one_line(
    tmp_path: Path, postgres: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for url, code in (
        (f"{postgres}/no_such_database", 2),
        (f"postgresql://postgres@127.0.0.1:{free_port()}/x", 1),
        ("mysql://x/y", 2),
    ):
        found, _, err = run(capsys, "keys", "list", "--tenant", "acme", "--store-url", url)
        assert found == code and err.startswith("error: ") and "Traceback" not in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["tenants", "create", "acme"],
        ["keys", "list", "--tenant", "acme"],
        ["numbers", "add", "--tenant", "acme", "+1555"],
        ["webhooks", "create", "--tenant", "acme", "--platform", "email"],
        ["import", "EVENTS"],
        ["migrate-store", "--from", "DATA/gateway.sqlite3", "--to", "postgresql://n@127.0.0.1:1/x"],
    ],
)
def test_only_serve_and_seed_demo_create_a_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "contact", "tenant": "acme", "contactId": "c"}\n')
    data = tmp_path / "data"
    argv = [a.replace("EVENTS", str(events)).replace("DATA", str(data)) for a in argv]
    code, _, err = run(
        capsys, *argv, *(["--data-dir", str(data)] if argv[0] != "migrate-store" else [])
    )
    assert code == 2 and err.count("\n") == 1, err
    assert f"no store at {data / 'gateway.sqlite3'}: `gateway init` creates an empty one" in err
    assert "`gateway serve --no-demo`" in err
    assert not data.exists()


def test_import_that_applies_nothing_and_rejects_lines_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty_store(tmp_path)
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "contact", "tenant": "nobody", "contactId": "c"}\n')
    code, out, _ = run(capsys, "import", str(events), "--data-dir", str(tmp_path))
    assert code == 1 and json.loads(out)["rejected"] == 1


def test_an_unreachable_redis_stops_serve_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    argv = ("serve", "--no-demo", "--data-dir", str(tmp_path), "--port", str(free_port()))
    code, _, err = run(capsys, *argv)
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("error: Redis (GATEWAY_REDIS_URL)")
