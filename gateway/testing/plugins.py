"""A test kit for platform plugins: a fake upstream as a real aiohttp application on a loopback
port (keys, faults and calls recorded, as the built-in fakes have), the plugin's adapter over
the gateway's own shared client and behind its declaration, a Prism mock of an OpenAPI document
for contract tests, and installing a plugin package with pip for a test run.

    async with serving(fake_upstream([web.get("/v3/stats", stats)], keys={"k": "acme"})) as url:
        async with platform_adapter(PLATFORM, url, secret="k") as adapter:
            [overall] = await adapter.load_email_overall([request])
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from aiohttp import web

from gateway.config.sources import SourcesConfig
from gateway.domain.email import EmailCounts, PastDaysRequest
from gateway.errors import GatewayError
from gateway.platforms import Answers, Credentials, Platform
from gateway.platforms.guard import DeclaredProvider
from gateway.providers.upstream import UpstreamProvider, upstream_clients
from gateway.testing.fakes import FakeState, _app

__all__ = [
    "INCOMPLETE",
    "FakeState",
    "PrismMock",
    "fake_upstream",
    "install_plugin",
    "platform_adapter",
    "prism_mock",
    "serving",
]


def fake_upstream(
    routes: list[web.RouteDef],
    keys: dict[str, str] | None = None,
    *,
    key_header: str = "authorization",
    key_scheme: str = "Bearer",
) -> web.Application:
    """A fake platform: `routes` answer a request whose key is one of `keys` (secret -> who);
    faults queued on its FakeState (`app[STATE]`) come first, as in the built-in fakes."""
    state = FakeState(keys=dict(keys or {}), key_header=key_header, key_scheme=key_scheme)
    return _app(state, routes)


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """The application on a free loopback port; its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def platform_adapter(
    platform: Platform,
    base_url: str,
    *,
    tenant: str = "acme",
    secret: str = "test-key",
    name: str = "src",
    **fields: object,
) -> AsyncIterator[DeclaredProvider]:
    """The platform's adapter for one source at `base_url` (its model validating `fields`),
    over the shared upstream client and behind the platform's declaration, as the gateway
    builds it; `secret` is the tenant's key for it."""
    source = platform.source_model.model_validate(
        {"platform": platform.name, "base_url": base_url, **fields}
    )
    config = SourcesConfig(sources={name: source})
    async with upstream_clients(config) as clients:
        built = platform.provider(clients[name], Credentials({(tenant, name): secret}))
        yield DeclaredProvider(platform, built)


def install_plugin(distribution: str, project: Path, target: Path) -> None:
    """Install a plugin's package with pip into `target` (no dependencies: the gateway is here)
    and put it on the path, unless that distribution is installed already."""
    try:
        metadata.distribution(distribution)
        return
    except metadata.PackageNotFoundError:
        pass
    # Built from a copy: concurrent runs never share the build directory in the source tree.
    source = target / "source"
    shutil.copytree(project, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps"]
    pip += ["--target", str(target / "site"), str(source)]
    # Built with this environment's setuptools where it can (no registry needed), else as pip
    # builds by default, in an isolated environment it installs the build tools into.
    offline = subprocess.run([*pip, "--no-build-isolation"], check=False, capture_output=True)
    if offline.returncode != 0:
        subprocess.run(pip, check=True, capture_output=True)
    sys.path.insert(0, str(target / "site"))
    importlib.invalidate_caches()


@dataclass
class PrismMock:
    """One Prism process serving a document on a loopback port, and what it logged."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def violations(self, since: int = 0) -> list[str]:
        """Requests the document does not allow (Prism refuses them with --errors)."""
        return [line for line in self.lines[since:] if "[VALIDATOR] ✖" in line]


@contextmanager
def prism_mock(prism: Path, document: Path, port: int, timeout: float = 60) -> Iterator[PrismMock]:
    """`prism mock --errors` of the document: its examples answered, every request checked."""
    process = subprocess.Popen(
        [str(prism), "mock", "--host", "127.0.0.1", "--port", str(port), "--errors", str(document)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    mock = PrismMock(process, port)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            mock.lines.append(line.rstrip())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while not any("Prism is listening" in line for line in mock.lines):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Prism did not start:\n" + "\n".join(mock.lines))
            time.sleep(0.05)
        yield mock
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


class _HalfMail(UpstreamProvider):
    """Answers the email overall; the histogram its platform declares too, it lacks."""

    async def load_email_overall(
        self, requests: Sequence[PastDaysRequest]
    ) -> list[EmailCounts | GatewayError]:
        return [EmailCounts() for _ in requests]


# A deliberately incomplete plugin, for tests of what `gateway platforms` and `gateway check`
# say of one: it declares EmailReports.histogram, and its adapter does not override
# load_email_histograms (so the field would answer UNSUPPORTED_BY_SOURCE despite it).
INCOMPLETE = Platform(
    name="halfmail",
    version="0.1",
    package="gateway-halfmail",
    title="Half mail (incomplete, for tests)",
    answers=(Answers("EmailReports.overall"), Answers("EmailReports.histogram")),
    provider=lambda client, credentials: _HalfMail(client, dict(credentials.secrets)),
    adapter=_HalfMail,
)
