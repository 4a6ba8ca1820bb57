"""Prism mocks of the four platforms' contracts (SendGrid's a plugin package, installed for the
run), and the gateway in front of them."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any

from gateway.http.appkeys import CONFIGURATION
from tests.support.gateway import Answer, Gateway

PLATFORMS = {"ps": "pilotstatus", "ms": "messagesender", "er": "emailreports", "sg": "sendgrid"}
# The tenant whose fields each source answers: globex's email is at SendGrid.
TENANTS = {"ps": "acme", "ms": "acme", "er": "acme", "sg": "globex"}


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
