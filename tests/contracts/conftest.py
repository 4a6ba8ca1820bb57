"""Prism (pinned in package.json, installed with `npm ci`) serving each platform's OpenAPI
document on a loopback port, and a gateway whose tenant acme lives at the three of them.

Prism checks every request the gateway sends against the document (`--errors`: a request that
breaks it is refused), answers the documents' examples, a documented error for `Prefer:
code=...`, and random answers valid for the schemas for `Prefer: dynamic=true`."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.appkeys import CONFIGURATION
from gateway.providers.native import SqliteStore, Store
from tests.conftest import Answer, Gateway, World, fixed_clock, serve
from tests.live import free_port
from tests.npm import installed

HERE = Path(__file__).parent
PLATFORMS = {"ps": "pilotstatus", "ms": "messagesender", "er": "emailreports"}
PS_NUMBER = "+5511955550199"


@dataclass
class Prism:
    """One Prism process and what it has logged so far."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.reader = threading.Thread(target=self.read, daemon=True)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def violations(self, since: int = 0) -> list[str]:
        return [line for line in self.lines[since:] if "[VALIDATOR] ✖" in line]


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
"""
    )


@dataclass
class Contract:
    """The gateway in front of the Prism mocks; `prefer` sets Prism's header on every call."""

    gateway: Gateway
    prisms: dict[str, Prism]

    async def query(self, key: str, query: str, variables: dict[str, Any] | None = None) -> Answer:
        return await self.gateway.query(key, query, variables)

    def prefer(self, value: str | None, *names: str) -> None:
        app = self.gateway.server.app
        assert app is not None
        for name in names or tuple(PLATFORMS):
            headers = app[CONFIGURATION].in_use.registry.get(name).client.session.headers  # type: ignore[attr-defined]
            headers.popall("prefer", None)
            if value:
                headers["prefer"] = value

    def violations(self, marks: dict[str, int]) -> list[str]:
        return [v for n, p in self.prisms.items() for v in p.violations(marks[n])]


@pytest.fixture
async def contract(
    world: World,
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
