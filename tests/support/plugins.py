"""Platform packages for the tests: SendGrid's, installed with pip, and a broken one."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.testing.plugins import install_plugin

ROOT = Path(__file__).parents[2]


def install_sendgrid(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SendGrid's platform package, installed with pip unless the environment has it."""
    target = tmp_path_factory.mktemp("sendgrid")
    install_plugin("analytics-gateway-sendgrid", ROOT / "platforms" / "sendgrid", target)


def broken_platform(
    folder: Path, monkeypatch: pytest.MonkeyPatch, name: str = "brokenmail"
) -> None:
    """An installed distribution whose platform entry point fails to import, on the path."""
    info = folder / f"gateway_{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gateway-{name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        f"[analytics_gateway.platforms]\n{name} = gateway_{name}:PLATFORM\n"
    )
    (folder / f"gateway_{name}.py").write_text("import a_module_that_is_not_installed\n")
    monkeypatch.syspath_prepend(str(folder))


HOOKMAIL = """
from gateway.domain.platform_events import WebhookShapes
from gateway.platforms import Answers, Platform
from gateway.providers.upstream import UpstreamProvider


def _translate(body):
    return {"type": "email", "id": body.get("id"), "event": "sent",
            "campaignId": body["campaign"], "recipient": body["to"], "at": body["at"]}


def _check(secret, body, header, now, tolerance):
    return None if header == "token " + secret else "bad token"


PLATFORM = Platform(
    name="hookmail", version="0.2", package="gateway-hookmail", title="Hook mail",
    answers=(Answers("EmailReports.overall"),),
    provider=lambda client, credentials: UpstreamProvider(client, dict(credentials.secrets)),
    webhooks=WebhookShapes("hookmail", frozenset({"email"}), _translate, _check, "x-hook-token"),
)
"""


def hookmail_platform(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed platform that sends webhooks of its own shape, signed its own way."""
    broken_platform(folder, monkeypatch, "hookmail")
    (folder / "gateway_hookmail.py").write_text(HOOKMAIL)


CRASHMAIL = """
from gateway.platforms import Answers, Platform
from gateway.providers.upstream import UpstreamProvider


class Crashing(UpstreamProvider):
    async def load_email_overall(self, requests):
        raise RuntimeError("a bug in the plugin")


PLATFORM = Platform(
    name="crashmail", version="0.1", package="gateway-crashmail", title="Crash mail",
    answers=(Answers("EmailReports.overall"),),
    provider=lambda client, credentials: Crashing(client, dict(credentials.secrets)),
)
"""


def crashing_platform(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed platform whose adapter fails with an exception of its own."""
    broken_platform(folder, monkeypatch, "crashmail")
    (folder / "gateway_crashmail.py").write_text(CRASHMAIL)


def incomplete_platform(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed platform declaring a field its adapter has no method for (the test kit's
    deliberately incomplete `gateway.testing.plugins.INCOMPLETE`)."""
    broken_platform(folder, monkeypatch, "halfmail")
    (folder / "gateway_halfmail.py").write_text(
        "from gateway.testing.plugins import INCOMPLETE as PLATFORM\n"
    )
