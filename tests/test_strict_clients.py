"""Every example document is one that strict clients accept: sgqlc's code generator
(`sgqlc-codegen operation`, validating against the schema) turns each into Python. It refuses
shapes plain GraphQL allows (a non-null variable with a default, a nullable variable where the
argument is non-null), so the examples keep to the shape every client takes. The generator
wants graphql-core 3.2 and the gateway 3.3, so it is installed, pinned and hash-checked, in an
environment of its own, kept between runs."""

from __future__ import annotations

import fcntl
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from graphql import build_schema, introspection_from_schema

ROOT = Path(__file__).parent.parent
REQUIREMENTS = Path(__file__).parent / "strict_clients" / "requirements.txt"
DOCUMENTS = sorted((ROOT / "examples").rglob("*.graphql"))


@pytest.fixture(scope="session")
def sgqlc_codegen() -> Path:
    """sgqlc-codegen from an environment with the pinned requirements (made once per their
    hash, however many test processes ask at the same time)."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    environment = Path(tempfile.gettempdir()) / f"gateway-sgqlc-{wanted[:16]}"
    codegen = environment / "bin" / "sgqlc-codegen"
    stamp = environment / "requirements.sha256"
    lock = Path(tempfile.gettempdir()) / "gateway-sgqlc.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not codegen.exists() or not stamp.exists() or stamp.read_text() != wanted:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", "--without-pip", str(environment)],
                check=True,
            )
            python = environment / "bin" / "python"
            install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
            subprocess.run(
                [
                    *install,
                    "--disable-pip-version-check",
                    "--require-hashes",
                    "-r",
                    str(REQUIREMENTS),
                ],
                check=True,
                timeout=600,
            )
            stamp.write_text(wanted)
    return codegen


@pytest.fixture(scope="session")
def introspection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """schema.graphql as the introspection answer sgqlc reads."""
    schema = build_schema((ROOT / "schema.graphql").read_text())
    path = tmp_path_factory.mktemp("sgqlc") / "schema.json"
    path.write_text(json.dumps({"data": introspection_from_schema(schema)}))
    return path


def test_there_are_example_documents() -> None:
    assert len(DOCUMENTS) >= 8 and ROOT / "examples/queries/email_reports.graphql" in DOCUMENTS


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_sgqlc_generates_code_for_every_example_document(
    sgqlc_codegen: Path, introspection: Path, document: Path, tmp_path: Path
) -> None:
    output = tmp_path / "operations.py"
    result = subprocess.run(
        [sgqlc_codegen, "operation", "--schema", introspection, "gateway_schema", output, document],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Operation(" in output.read_text()
