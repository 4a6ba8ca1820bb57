"""The layers of the gateway, as pyproject.toml's import contracts state them, hold: run in the
test command, so that an arrow pointing up, or a framework imported outside its layer, fails."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "gateway"

LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(no_cache=True, no_logo=True))"
)


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports over the gateway package found under `root`, with pyproject's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_import_contracts_are_kept() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 kept, 0 broken" in done.stdout


def copy_of_the_gateway(tmp_path: Path) -> Path:
    shutil.copytree(GATEWAY, tmp_path / "gateway", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_an_arrow_pointing_up_breaks_the_layers_contract(tmp_path: Path) -> None:
    root = copy_of_the_gateway(tmp_path)
    timewindows = root / "gateway" / "domain" / "timewindows.py"
    timewindows.write_text(
        timewindows.read_text() + "\nfrom gateway.schema.context import GatewayContext  # noqa\n"
    )
    done = lint(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "gateway.domain.timewindows -> gateway.schema.context" in done.stdout
    assert "BROKEN" in done.stdout


def test_a_store_driver_outside_the_native_provider_breaks_its_contract(tmp_path: Path) -> None:
    root = copy_of_the_gateway(tmp_path)
    loaders = root / "gateway" / "schema" / "loaders.py"
    loaders.write_text(loaders.read_text() + "\nimport aiosqlite  # noqa\n")
    done = lint(root)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "gateway.schema.loaders -> aiosqlite" in done.stdout


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, `from a import b` counted as both a and a.b."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules_importing(*targets: str) -> set[str]:
    found = set()
    for path in GATEWAY.rglob("*.py"):
        if any(name == t or name.startswith(f"{t}.") for name in imports_of(path) for t in targets):
            found.add(path.relative_to(ROOT).as_posix())
    return found


def test_only_the_http_layer_imports_aiohttp_web_and_strawberrys_aiohttp_integration() -> None:
    # import-linter sees external packages whole (aiohttp, not aiohttp.web): this is finer.
    outside = {
        path
        for path in modules_importing("aiohttp.web", "aiohttp.web_protocol", "strawberry.aiohttp")
        if not path.startswith(("gateway/http/", "gateway/testing/"))
    }
    assert outside == set()


def test_only_the_shared_upstream_client_opens_client_sessions() -> None:
    assert modules_importing("aiohttp.ClientSession") | {
        path.relative_to(ROOT).as_posix()
        for path in GATEWAY.rglob("*.py")
        if "aiohttp.ClientSession" in path.read_text("utf-8")
    } == {
        "gateway/providers/upstream/__init__.py",
        "gateway/providers/upstream/http.py",
        # `gateway query` asks a gateway (its own, or one started for the one request).
        "gateway/http/query.py",
    }


def test_the_settings_load_only_pydantic_level_modules() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import gateway.config.settings"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    loaded = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    gateway = {name for name in loaded if name.split(".")[0] == "gateway"}
    assert gateway == {
        "gateway",
        "gateway.config",
        "gateway.config.settings",
        "gateway.config.sources",
    }
    heavy = {"aiohttp", "aiosqlite", "asyncpg", "strawberry", "graphql", "prometheus_client"}
    assert not {name for name in loaded if name.split(".")[0] in heavy}


def test_no_test_module_imports_another_nor_the_conftest() -> None:
    """Shared helpers live in tests/support; conftest.py files hold fixtures only."""
    tests = ROOT / "tests"
    wrong = {}
    for path in tests.rglob("*.py"):
        if "node_modules" in path.parts:
            continue
        bad = {
            name
            for name in imports_of(path)
            if name.startswith("tests.")
            and any(part.startswith("test_") or part == "conftest" for part in name.split("."))
        }
        if bad:
            wrong[path.relative_to(ROOT).as_posix()] = sorted(bad)
    assert wrong == {}
