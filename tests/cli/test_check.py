"""`gateway check` and the settings' errors: one line per problem, never a traceback, and a
mistyped GATEWAY_* variable named with the closest known one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config.settings import load_settings
from tests.support.cli import empty_store
from tests.support.live import free_port

GOOD_SOURCES = """[sources.ms]
platform = "messagesender"
base_url = "https://messagesender.example"
[tenants.acme]
sms = "ms"
credentials = { ms = "CHECK_MS_KEY" }
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_settings_errors_at_start_up_are_one_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "abc")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://app.example")
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_OVERRIDES", '{"acme": 200}')  # a good one
    code, _, err = run(capsys, "serve", "--data-dir", str(tmp_path), "--workers", "0")
    assert code == 2
    assert err == [
        "error: GATEWAY_PORT=abc: Input should be a valid integer, unable to parse string as an"
        " integer",
        "error: --workers 0: Input should be greater than or equal to 1",
        'error: GATEWAY_CORS_ORIGINS=https://app.example: not JSON; for example ["https://app.example"]',
    ]
    assert not (tmp_path / "gateway.sqlite3").exists()


def test_json_settings_still_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://app.example"]')
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_OVERRIDES", '{"acme": 200}')
    settings = load_settings()
    assert settings.cors_origins == ["https://app.example"]
    assert settings.rate_limit_overrides == {"acme": 200.0}


def test_a_mistyped_variable_is_named_with_the_closest_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_CACHE_TTL", "5")
    monkeypatch.setenv("GATEWAY_REQUIRE_NOTHING", "1")  # the test suite's own switches pass
    code, _, err = run(capsys, "export-schema")
    assert code == 0
    assert err == [
        "warning: GATEWAY_CACHE_TTL is not a setting of the gateway and is ignored; did you mean"
        " GATEWAY_CACHE_TTL_SECONDS?"
    ]


def test_check_passes_a_good_setup_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(GOOD_SOURCES)
    monkeypatch.setenv("CHECK_MS_KEY", "secret")
    data = tmp_path / "data"
    code, out, _ = run(capsys, "check", "--data-dir", str(data), "--sources-file", str(sources))
    assert code == 1 and out[0].endswith(
        "no store there yet; `gateway init` creates an empty"
        " one (`gateway serve` creates one too, with demo data unless --no-demo)"
    )
    assert not data.exists()
    data.mkdir()
    empty_store(data)
    assert run(capsys, "tenants", "create", "acme", "--data-dir", str(data))[0] == 0
    code, out, _ = run(capsys, "check", "--data-dir", str(data))
    assert code == 0 and f"store (sqlite:///{data.resolve()}/gateway.sqlite3)" in out[0]


def test_check_prints_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(
        GOOD_SOURCES.replace("https://", "ftp://")
        + '[tenants.globex]\nsms = "ms"\ncredentials = { ms = "CHECK_OTHER_KEY" }\n'
    )
    manifest = tmp_path / "documents.json"
    manifest.write_text(json.dumps({"ab" * 32: "{ viewer }"}))
    port = free_port()
    monkeypatch.setenv("GATEWAY_STORE_URL", f"postgresql://gw:hunter2@127.0.0.1:{port}/gw")
    monkeypatch.setenv("GATEWAY_TRUSTED_DOCUMENTS", str(manifest))
    monkeypatch.setenv("GATEWAY_PROT", "8000")
    code, out, err = run(capsys, "check", "--sources-file", str(sources))
    assert code == 1 and err == ["4 problem(s)"]
    assert out[0] == (
        "GATEWAY_PROT is not a setting of the gateway and is ignored; did you mean GATEWAY_PORT?"
    )
    assert out[1] == (
        f"sources file {sources}: sources.ms.base_url: String should match pattern"
        " '^https?://' (got 'ftp://messagesender.example')"
    )
    digest = repr("ab" * 32)
    assert out[2] == (
        f"trusted documents: {manifest}: {digest}: the id is not the sha256 of the body"
    )
    assert out[3].startswith(f"store postgresql://gw:***@127.0.0.1:{port}/gw: ")
    assert "hunter2" not in "".join(out + err)

    sources.write_text(GOOD_SOURCES)  # valid now: the variables it names are checked
    manifest.unlink()
    monkeypatch.delenv("GATEWAY_STORE_URL")
    monkeypatch.delenv("GATEWAY_PROT")
    code, out, _ = run(capsys, "check", "--sources-file", str(sources), "--data-dir", str(tmp_path))
    assert code == 1
    assert out == [
        f"sources file {sources}: it names the environment variable CHECK_MS_KEY, which is not set",
        f"trusted documents: {manifest}: No such file or directory",
        f"store {tmp_path / 'gateway.sqlite3'}: no store there yet; `gateway init` creates an"
        " empty one (`gateway serve` creates one too, with demo data unless --no-demo)",
    ]
