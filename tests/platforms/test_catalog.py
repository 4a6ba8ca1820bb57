"""The installed platforms: found through their entry points, a broken one reported with why
and kept to its own fields, and a sources file naming one that is not there told what to
install."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.config.settings import Settings
from gateway.config.sources import SourcesError, load_sources
from gateway.http.app import create_app
from gateway.platforms import Answers, Platform, Platforms, load_platforms
from gateway.providers.upstream import UpstreamProvider
from gateway.testing.plugins import INCOMPLETE
from tests.support.gateway import Gateway, World, fixed_clock, serve
from tests.support.plugins import broken_platform, crashing_platform, incomplete_platform

BROKEN_SOURCES = """
[sources.mail]
platform = "brokenmail"
base_url = "http://127.0.0.1:9"
a_field_of_its_own = 3

[tenants.acme]
email = "mail"
credentials = { mail = "ACME_MAIL_KEY" }
"""


def test_the_built_in_platforms_come_through_entry_points() -> None:
    platforms = load_platforms()
    builtin = {n: p for n, p in platforms.available.items() if p.package == "analytics-gateway"}
    assert {n: p.areas for n, p in builtin.items()} == {
        "emailreports": ("email",),
        "messagesender": ("sms",),
        "pilotstatus": ("numbers",),
    }


def test_a_platform_whose_import_fails_is_unavailable_with_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken_platform(tmp_path, monkeypatch)
    platforms = load_platforms()
    [broken] = platforms.broken.values()
    assert (broken.name, broken.package) == ("brokenmail", "gateway-brokenmail")
    assert (
        "ModuleNotFoundError" in broken.reason and "a_module_that_is_not_installed" in broken.reason
    )
    assert {"pilotstatus", "messagesender", "emailreports"} <= set(platforms.available)


def without(name: str) -> Platforms:
    found = load_platforms()
    return Platforms({n: p for n, p in found.available.items() if n != name})


@pytest.mark.parametrize(
    ("platform", "said"),
    [
        (
            "sendgrid",
            "platform 'sendgrid' is not installed: pip install analytics-gateway-sendgrid",
        ),
        ("nowhere", "platform 'nowhere' is not installed (installed: emailreports, messagesender,"),
    ],
)
def test_a_platform_not_installed_is_one_line_naming_its_package(
    tmp_path: Path, platform: str, said: str
) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(f'[sources.x]\nplatform = "{platform}"\nbase_url = "https://x.example"\n')
    with pytest.raises(SourcesError) as raised:
        load_sources(path, {}, platforms=without("sendgrid"))
    [line] = raised.value.problems
    assert line.startswith(f"sources file {path}: sources.x: ") and said in line, line


def test_a_sources_field_is_the_platforms_own(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[sources.er]\nplatform = "emailreports"\nbase_url = "https://x.example"\n'
        'range_format = "instant"\n'
    )
    with pytest.raises(SourcesError, match=r"sources\.er\.range_format: Extra inputs"):
        load_sources(path, {}, platforms=load_platforms())


@pytest.fixture
async def with_broken(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Gateway]:
    broken_platform(tmp_path / "site", monkeypatch)
    path = tmp_path / "sources.toml"
    path.write_text(BROKEN_SOURCES)
    monkeypatch.setenv("ACME_MAIL_KEY", "k")
    settings = Settings(store_url=world.store.url, demo=False, sources_file=path)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


async def test_a_broken_platform_stays_in_its_tenants_fields(
    with_broken: Gateway, world: World
) -> None:
    answer = await with_broken.query(
        world.keys["acme_tenant"],
        "{ email { overall(pastDays: 7) { sent } } sms { overview { messages { total } } } }",
    )
    [error] = answer.body["errors"]
    assert error["path"] == ["email", "overall"]
    assert error["extensions"] == {"code": "UPSTREAM_UNAVAILABLE", "source": "mail"}
    assert "brokenmail is unavailable" in error["message"]
    assert answer.data["sms"]["overview"]["messages"]["total"] >= 0  # native, answered
    other = await with_broken.query(
        world.keys["globex_tenant"], "{ email { overall(pastDays: 7) { sent } } }"
    )
    assert "errors" not in other.body


async def test_health_reports_the_unavailable_platform(with_broken: Gateway) -> None:
    async with with_broken.session.get(with_broken.server.make_url("/healthz")) as response:
        body = await response.json()
    assert response.status == 200 and body["status"] == "degraded"
    assert body["sources"]["mail"]["platform"] == "brokenmail"
    assert "ModuleNotFoundError" in body["sources"]["mail"]["unavailable"]
    assert "ModuleNotFoundError" in body["platforms"]["brokenmail"]["unavailable"]
    assert body["platforms"]["pilotstatus"] == {"version": "1.0.0"}


def test_gateway_platforms_lists_them_and_the_broken_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["platforms"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "pilotstatus 1.0.0 (analytics-gateway): numbers" in out
    assert "emailreports 1.0.0 (analytics-gateway): email" in out
    assert main(["platforms", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    [pilot] = [p for p in listed["platforms"] if p["name"] == "pilotstatus"]
    assert pilot == {
        "name": "pilotstatus",
        "version": "1.0.0",
        "package": "analytics-gateway",
        "areas": ["numbers"],
        "title": "Pilot Status (WhatsApp numbers)",
        "webhooks": "pilotstatus",
        "incomplete": [],
        "adapterChecked": True,
    }
    assert listed["unavailable"] == []
    broken_platform(tmp_path, monkeypatch)
    assert main(["platforms"]) == 1
    [line] = [line for line in capsys.readouterr().out.splitlines() if "brokenmail" in line]
    assert line.startswith("brokenmail (gateway-brokenmail): unavailable: ModuleNotFoundError")


def test_gateway_check_names_a_source_on_a_broken_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken_platform(tmp_path / "site", monkeypatch)
    path = tmp_path / "sources.toml"
    path.write_text(BROKEN_SOURCES)
    monkeypatch.setenv("ACME_MAIL_KEY", "k")
    monkeypatch.setenv("GATEWAY_STORE_URL", f"sqlite:///{tmp_path}/gateway.sqlite3")
    assert main(["check", "--sources-file", str(path)]) == 1
    out = capsys.readouterr().out
    assert "platform brokenmail (gateway-brokenmail) is unavailable" in out
    assert "source mail: its platform brokenmail is unavailable, so its fields will answer" in out


def test_a_declared_field_whose_method_the_adapter_lacks_is_found() -> None:
    assert INCOMPLETE.missing_methods() == [
        "EmailReports.histogram is declared, but _HalfMail does not override load_email_histograms"
    ]
    # Declared alone, what it overrides, it is complete.
    complete = Platform(
        name="halfmail",
        version="0",
        package="x",
        title="x",
        answers=(Answers("EmailReports.overall"),),
        provider=INCOMPLETE.provider,
        adapter=INCOMPLETE.adapter,
    )
    assert complete.missing_methods() == []
    # A field answered by two methods needs both; the class comes from provider's annotation.

    def provider(client: object, credentials: object) -> UpstreamProvider:
        raise AssertionError("never built")

    listing = Platform(
        name="x",
        version="0",
        package="x",
        title="x",
        answers=(Answers("Query.campaigns"),),
        provider=provider,
    )
    assert listing.adapter_class() is UpstreamProvider
    assert [m.split()[-1] for m in listing.missing_methods()] == [
        "page_campaigns",
        "count_campaigns",
    ]


def test_gateway_platforms_and_check_report_an_incomplete_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    incomplete_platform(tmp_path / "site", monkeypatch)
    assert main(["platforms"]) == 1
    out = capsys.readouterr().out.splitlines()
    at = out.index("halfmail 0.1 (gateway-halfmail): email")
    assert out[at + 1] == (
        "  incomplete: EmailReports.histogram is declared, but _HalfMail does not override"
        " load_email_histograms; that field answers UNSUPPORTED_BY_SOURCE"
    )
    assert not any("incomplete" in line for line in out[:at] + out[at + 2 :])
    assert main(["platforms", "--json"]) == 0
    [half] = [
        p
        for p in json.loads(capsys.readouterr().out)["platforms"]
        if p["package"] == "gateway-halfmail"
    ]
    assert half["incomplete"] == INCOMPLETE.missing_methods()
    monkeypatch.setenv("GATEWAY_STORE_URL", f"sqlite:///{tmp_path}/gateway.sqlite3")
    assert main(["check"]) == 1
    checked = capsys.readouterr().out
    assert (
        "platform halfmail (gateway-halfmail) is incomplete: EmailReports.histogram is declared,"
        " but _HalfMail does not override load_email_histograms, so that field answers"
        " UNSUPPORTED_BY_SOURCE"
    ) in checked


async def test_a_plugins_own_failure_stays_in_its_fields(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing_platform(tmp_path / "site", monkeypatch)
    path = tmp_path / "sources.toml"
    path.write_text(BROKEN_SOURCES.replace("brokenmail", "crashmail").replace("a_field", "#"))
    monkeypatch.setenv("ACME_MAIL_KEY", "k")
    settings = Settings(store_url=world.store.url, demo=False, sources_file=path)
    async for running in serve(create_app(settings, clock=fixed_clock)):
        answer = await running.query(
            world.keys["acme_tenant"],
            "{ email { overall(pastDays: 7) { sent } } sms { overview { messages { total } } } }",
        )
        [error] = answer.body["errors"]
        # Masked as every unexpected error is (and logged with the request id), in its field.
        assert (error["path"], error["extensions"]["code"]) == (
            ["email", "overall"],
            "INTERNAL_SERVER_ERROR",
        )
        assert "a bug" not in error["message"]
        assert answer.data["sms"]["overview"]["messages"]["total"] >= 0
