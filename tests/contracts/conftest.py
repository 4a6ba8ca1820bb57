"""Prism (pinned in package.json, installed with `npm ci`) serving each platform's OpenAPI
document on a loopback port, and a gateway whose tenant acme lives at the three built-in
platforms and whose tenant globex has its email at SendGrid (the plugin package, installed with
pip for the run as a user installs it).

Prism checks every request the gateway sends against the document (`--errors`: a request that
breaks it is refused), answers the documents' examples, a documented error for `Prefer:
code=...`, and random answers valid for the schemas for `Prefer: dynamic=true`."""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.providers.native import SqliteStore, Store
from gateway.testing.plugins import install_plugin
from tests.support.contracts import PLATFORMS, PS_NUMBER, Contract, Prism
from tests.support.gateway import World, fixed_clock, serve
from tests.support.live import free_port
from tests.support.npm import installed

HERE = Path(__file__).parent


@pytest.fixture(scope="session")
def sendgrid_package(tmp_path_factory: pytest.TempPathFactory) -> None:
    """SendGrid's platform package, installed with pip unless the environment has it."""
    project = HERE.parents[1] / "examples" / "platforms" / "sendgrid"
    install_plugin("analytics-gateway-sendgrid", project, tmp_path_factory.mktemp("sendgrid"))


@pytest.fixture(scope="session")
def prism_bin() -> Path:
    return installed(HERE, "Prism") / ".bin" / "prism"


@pytest.fixture(scope="session")
def prisms(prism_bin: Path) -> Iterator[dict[str, Prism]]:
    """A mock server per document, started together, listening on 127.0.0.1 only."""
    started: dict[str, Prism] = {}
    for name, document in PLATFORMS.items():
        port = free_port()
        listen = ["--host", "127.0.0.1", "--port", str(port)]
        process = subprocess.Popen(
            [str(prism_bin), "mock", *listen, "--errors", f"{document}.yaml"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=HERE,
        )
        started[name] = Prism(process, port)
        started[name].reader.start()
    try:
        deadline = time.monotonic() + 60
        for name, prism in started.items():
            while not any("Prism is listening" in line for line in prism.lines):
                if prism.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Prism did not start for {name}:\n" + "\n".join(prism.lines))
                time.sleep(0.05)
        yield started
    finally:
        for prism in started.values():
            prism.process.terminate()
        for prism in started.values():
            prism.process.wait(timeout=10)
            prism.reader.join(timeout=10)
            assert prism.process.stdout is not None
            prism.process.stdout.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    yield opened
    await opened.close()


def sources(prisms: dict[str, Prism]) -> str:
    text = ""
    for name, platform in PLATFORMS.items():
        text += f"""[sources.{name}]
platform = "{platform}"
base_url = "http://127.0.0.1:{prisms[name].port}"
retries = 0
timeout_seconds = 5
cache_ttl_seconds = 0
"""
    return (
        text
        + f"""
[tenants.acme]
sms = "ms"
email = "er"
credentials = {{ ms = "CONTRACT_MS_KEY", er = "CONTRACT_ER_KEY" }}

[[tenants.acme.numbers]]
source = "ps"
phone = "{PS_NUMBER}"
key_env = "CONTRACT_PS_KEY"

[tenants.globex]
email = "sg"
credentials = {{ sg = "CONTRACT_SG_KEY" }}
"""
    )


@pytest.fixture
async def contract(
    world: World,
    sendgrid_package: None,
    prisms: dict[str, Prism],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Contract]:
    path = tmp_path / "sources.toml"
    path.write_text(sources(prisms))
    for name in PLATFORMS:
        monkeypatch.setenv(f"CONTRACT_{name.upper()}_KEY", f"{name}_contract_key")
    settings = Settings(
        store_url=world.store.url,
        demo=False,
        sources_file=path,
        cache_ttl_seconds=0,
        rate_limit=0,
        request_deadline_seconds=10,
    )
    marks = {name: len(prism.lines) for name, prism in prisms.items()}
    async for running in serve(create_app(settings, clock=fixed_clock)):
        contract = Contract(running, prisms)
        yield contract
        # Whatever a test asked, no request the gateway sent broke a document.
        assert contract.violations(marks) == []
