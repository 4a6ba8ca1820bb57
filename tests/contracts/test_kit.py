"""The test kit's contract runner, as a plugin's own tests use it: Prism serving the plugin's
OpenAPI document, the adapter built as the gateway builds it, and every request it sends checked
against the document."""

from __future__ import annotations

import asyncio
import importlib
from datetime import date
from pathlib import Path

import pytest

from gateway.domain.email import EmailCounts, PastDaysRequest
from gateway.errors import GatewayError
from gateway.testing.plugins import platform_adapter, prism_mock
from tests.support.live import free_port

HERE = Path(__file__).parent


@pytest.mark.usefixtures("sendgrid_package")
async def test_a_plugin_runs_against_prism_serving_its_document(prism_bin: Path) -> None:
    sendgrid = importlib.import_module("gateway_sendgrid")
    request = PastDaysRequest(
        source="sg", tenant_id="acme", past_days=2, timezone="UTC", today=date(2026, 11, 22)
    )
    with prism_mock(prism_bin, HERE / "sendgrid.yaml", free_port()) as prism:
        async with platform_adapter(sendgrid.PLATFORM, prism.url, secret="SG.x") as adapter:
            [counts] = await adapter.load_email_overall([request])
            assert prism.violations() == []
            asked = len(prism.lines)
            # A call the document does not allow (start_date is required) is seen as such.
            with pytest.raises(GatewayError):
                await adapter.client.get("/v3/stats", {}, "SG.x")
        for _ in range(100):  # Prism's log is read as it comes: up to 5 s
            if prism.violations(asked):
                break
            await asyncio.sleep(0.05)
        assert prism.violations(asked) != []
    assert counts == EmailCounts(
        sent=2200,
        opened=900,
        clicked=130,
        opens=1500,
        clicks=200,
        soft_bounced=2,
        hard_bounced=18,
        unsubscribed=10,
        # Over two days, SendGrid's uniques are each day's added up: marked for the graph.
        inexact=frozenset({"opened", "clicked"}),
    )
