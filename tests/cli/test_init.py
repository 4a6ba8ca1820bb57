"""`gateway init`: an empty store in one command, SQLite or PostgreSQL, idempotent, and the
next steps printed; every "no store" message and `gateway check` name it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.providers.native.migrations import available_migrations, split_statements
from tests.support.live import start_gateway
from tests.support.pg import with_database


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_creates_an_empty_store_and_prints_the_next_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, err = run(capsys, "init", "--data-dir", str(data))
    assert code == 0 and err == ""
    store = data / "gateway.sqlite3"
    assert out.splitlines()[0] == f"created an empty store at sqlite:///{store}"
    for step in ("tenants create", "numbers add", "keys create", "webhooks create", "import"):
        assert f"gateway {step} " in out and f"--data-dir {data}" in out
    assert "gateway serve --no-demo" in out
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM tenants").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0
    # The printed steps work as printed on the new store.
    assert run(capsys, "tenants", "create", "acme", "--data-dir", str(data))[0] == 0


def test_init_on_an_existing_store_says_so_and_keeps_its_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert run(capsys, "init", "--data-dir", str(data))[0] == 0
    assert run(capsys, "tenants", "create", "acme", "--data-dir", str(data))[0] == 0
    assert (
        run(capsys, "numbers", "add", "--tenant", "acme", "+15550001111", "--data-dir", str(data))[
            0
        ]
        == 0
    )
    code, out, _ = run(capsys, "init", "--data-dir", str(data))
    assert code == 0
    assert out.splitlines()[0] == (
        f"a store is already at sqlite:///{data / 'gateway.sqlite3'} (1 tenant(s)): migrated to"
        " this version, nothing removed"
    )
    with sqlite3.connect(data / "gateway.sqlite3") as db:
        assert db.execute("SELECT phone_number FROM numbers").fetchall() == [("+15550001111",)]


def test_init_creates_a_postgresql_store(postgres: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The throwaway server trusts loopback connections, so any password is accepted.
    url = with_database(postgres).replace("://postgres@", "://postgres:s3cret@")
    code, out, _ = run(capsys, "check", "--store-url", url)
    assert code == 1 and "no store there yet; `gateway init` creates an empty one" in out
    code, out, _ = run(capsys, "init", "--store-url", url)
    assert code == 0 and out.startswith("created an empty store at postgresql://postgres:***@")
    assert "s3cret" not in out and "the password shows as ***" in out
    assert run(capsys, "tenants", "create", "acme", "--store-url", url)[0] == 0
    code, out, _ = run(capsys, "init", "--store-url", url)
    assert code == 0 and "(1 tenant(s)): migrated to this version, nothing removed" in out
    code, out, _ = run(capsys, "check", "--store-url", url)
    assert code == 0 and out.startswith("ok: ")


def test_check_says_plainly_that_the_store_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    code, out, _ = run(capsys, "check", "--data-dir", str(data))
    assert code == 1 and "ok" not in out
    assert out.splitlines() == [
        f"store {data / 'gateway.sqlite3'}: no store there yet; `gateway init` creates an empty"
        " one (`gateway serve` creates one too, with demo data unless --no-demo)"
    ]
    assert not data.exists()
    assert run(capsys, "init", "--data-dir", str(data))[0] == 0
    code, out, _ = run(capsys, "check", "--data-dir", str(data))
    assert (
        code == 0 and out.startswith("ok: settings, platforms (") and ", store (sqlite:///" in out
    )


def test_serve_without_the_demo_says_how_to_get_a_key(tmp_path: Path) -> None:
    gateway = start_gateway(tmp_path, "--no-demo", wait_for="no demo keys")
    try:
        assert "`gateway keys create --tenant TENANT`" in gateway.banner
        assert "`gateway init` prints the first steps" in gateway.banner
    finally:
        gateway.stop()


def test_init_migrates_a_store_of_an_older_release_and_keeps_its_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store left by a release that had only the first migration: init brings it up to
    date, and its tenant is still there."""
    data = tmp_path / "data"
    data.mkdir()
    (version, name, sql), *newer = available_migrations()
    with sqlite3.connect(data / "gateway.sqlite3") as db:
        db.execute(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        for statement in split_statements(sql):
            db.execute(statement)
        db.execute("INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, name))
        db.execute("INSERT INTO tenants (id, name, created_at) VALUES ('acme', 'Acme', 0)")
    assert newer
    code, out, _ = run(capsys, "init", "--data-dir", str(data))
    assert code == 0 and "(1 tenant(s)): migrated to this version, nothing removed" in out
    with sqlite3.connect(data / "gateway.sqlite3") as db:
        applied = [row[0] for row in db.execute("SELECT version FROM schema_migrations")]
        assert sorted(applied) == [version] + [v for v, _, _ in newer]
        assert db.execute("SELECT id, name FROM tenants").fetchall() == [("acme", "Acme")]
