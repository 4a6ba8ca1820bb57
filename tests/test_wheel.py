"""The wheel as a user installs it: every file the package reads at run time is inside it, and
a fresh virtualenv holding only the wheel and its dependencies serves and migrates on both
stores, run from a directory outside the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.live import LiveGateway, start_gateway
from tests.support.pg import drop_database, with_database

ROOT = Path(__file__).parent.parent
# What a clean clone would not have: built or installed things, never sources.
NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "build", "dist", "data", "*.egg-info", "__pycache__", ".*cache"
)
QUERY = '{ dashboard(period: DAYS_7, timezone: "Asia/Kathmandu") { totals { total read } } }'


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path
    workdir: Path  # outside the source tree: nothing can be imported from there

    def env(self) -> dict[str, str]:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        environment.pop("PYTHONPATH", None)
        return environment

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / argv[0]), *argv[1:]],
            cwd=self.workdir,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )

    def serve(self, data: Path, *args: str) -> LiveGateway:
        return start_gateway(
            data,
            *args,
            program=[str(self.bin / "gateway")],
            cwd=self.workdir,
            env=self.env() | {"GATEWAY_DATA_DIR": str(data)},
            wait_for="curl" if "--no-demo" not in args else "graphql",
        )


def _pip(*argv: str) -> None:
    # The test run's own pip and its cache: dependencies come as pip would fetch them for a
    # user, from the configured index, mostly from the cache after the first run.
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *argv],
        check=True,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """The wheel built once per run from a copy of the sources (as from a clean clone, so no
    leftover build/ can slip a file in), installed into a virtualenv without the source tree."""
    scratch = tmp_path_factory.mktemp("wheel")
    sources = scratch / "src"
    shutil.copytree(ROOT, sources, ignore=NOT_SOURCES)
    _pip("wheel", "--no-deps", "--wheel-dir", str(scratch / "dist"), str(sources))
    [wheel] = (scratch / "dist").glob("analytics_gateway-*.whl")
    venv = scratch / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    _pip("--python", str(venv / "bin" / "python"), "install", "--no-compile", str(wheel))
    workdir = scratch / "elsewhere"
    workdir.mkdir()
    yield Installed(wheel, venv / "bin", workdir)


def test_the_wheel_carries_every_file_the_package_reads(installed: Installed) -> None:
    in_wheel = set(zipfile.ZipFile(installed.wheel).namelist())
    shipped = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "gateway").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert shipped - in_wheel == set()
    assert "gateway/providers/native/migrations/postgresql/0001_initial.sql" in in_wheel


def test_the_installed_package_is_not_the_source_tree(installed: Installed) -> None:
    found = installed.run("python", "-c", "import gateway; print(gateway.__file__)")
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).is_relative_to(installed.bin.parent)


def _dashboard(gateway: LiveGateway, key: str) -> dict[str, object]:
    status, body = gateway.query(key, QUERY)
    assert status == 200 and "errors" not in body, body
    return dict(body["data"])


def _page(gateway: LiveGateway, path: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{gateway.port}{path}", timeout=10) as page:
        return int(page.status)


def test_the_installed_gateway_serves_and_migrates_on_both_stores(
    installed: Installed, postgres: str, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    on_sqlite = installed.serve(data)
    try:
        key = on_sqlite.keys["number"]
        answer = _dashboard(on_sqlite, key)
        assert _page(on_sqlite, "/dashboard") == _page(on_sqlite, "/dashboard.js") == 200
    finally:
        code, log = on_sqlite.stop()
    assert code == 0, log

    target = with_database(postgres)
    try:
        copied = installed.run(
            "gateway",
            "migrate-store",
            "--from",
            f"sqlite:///{data / 'gateway.sqlite3'}",
            "--to",
            target,
        )
        assert copied.returncode == 0, copied.stderr
        assert "copied and verified" in copied.stdout
        on_postgres = installed.serve(tmp_path / "pg", "--store-url", target, "--no-demo")
        try:
            assert _dashboard(on_postgres, key) == answer
        finally:
            code, log = on_postgres.stop()
        assert code == 0, log
    finally:
        drop_database(postgres, target.rsplit("/", 1)[1])
