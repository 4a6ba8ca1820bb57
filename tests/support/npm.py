"""Pinned npm packages for the tests that drive third-party JavaScript tools.

Each folder's `package-lock.json` pins its packages; `npm ci` installs them from the registry
once per lockfile, however many test processes (pytest-xdist's workers) ask at the same time.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

STAMP = ".installed-from-lock"


def require_node(why: str) -> None:
    """Skip without Node.js and npm, saying why; fail instead where CI requires them."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("GATEWAY_REQUIRE_NODE") == "1":
            pytest.fail(f"GATEWAY_REQUIRE_NODE=1 but node or npm is missing ({why})")
        pytest.skip(f"needs Node.js and npm for {why}")


def installed(folder: Path, why: str) -> Path:
    """`folder`'s node_modules as its lockfile pins it, running `npm ci` only when they differ."""
    require_node(why)
    folder = folder.resolve()
    digest = hashlib.sha256((folder / "package-lock.json").read_bytes()).hexdigest()
    stamp = folder / "node_modules" / STAMP
    name = hashlib.sha256(str(folder).encode()).hexdigest()[:16]
    lock = Path(tempfile.gettempdir()) / f"gateway-npm-{name}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        if not stamp.is_file() or stamp.read_text() != digest:
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                check=True,
                timeout=600,
            )
            stamp.write_text(digest)
    return folder / "node_modules"
