"""A throwaway PgBouncer in transaction pooling mode, on a loopback port, in front of a test
PostgreSQL server (see tests/support/pg.py), for the tests and benchmarks.

Debian's `pgbouncer` package provides the program. It refuses to run as root, so as root it runs
as the `postgres` user, as the server does. Every database of the server is reachable through it
under its own name; a small server pool makes transactions share server connections, as they
do in production, where a statement prepared in one is missing in the next.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.live import free_port
from tests.support.pg import _as_owner

__all__ = ["PGBOUNCER", "pgbouncer"]

PGBOUNCER = shutil.which("pgbouncer") or (
    "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
)


@contextmanager
def pgbouncer(server: str, *, pool_size: int = 4) -> Iterator[str]:
    """Yield the DSN (no database part) of a PgBouncer in transaction mode in front of `server`
    (a superuser DSN without a database, as tests.support.pg.postgres_server yields)."""
    if PGBOUNCER is None:
        raise RuntimeError("PgBouncer is not installed (Debian: apt-get install pgbouncer)")
    target = urlsplit(server)
    user = target.username or "postgres"
    root = Path(tempfile.mkdtemp(prefix="gateway-pgbouncer-"))
    port = free_port()
    (root / "users.txt").write_text(f'"{user}" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={target.hostname} port={target.port or 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {root / "users.txt"}
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
logfile = {root / "pgbouncer.log"}
"""
    )
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        for name in ("users.txt", "pgbouncer.ini"):
            shutil.chown(root / name, "postgres", "postgres")
    process = subprocess.Popen(
        _as_owner([PGBOUNCER, str(root / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # it logs to its logfile
        cwd=root,
    )
    try:
        _wait_for(port, process, root)
        url = f"postgresql://{user}@127.0.0.1:{port}"
        if target.password:
            url = f"postgresql://{user}:{target.password}@127.0.0.1:{port}"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_for(port: int, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = root / "pgbouncer.log"
            said = log.read_text()[-2000:] if log.exists() else f"status {process.returncode}"
            raise RuntimeError(f"pgbouncer exited: {said}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("pgbouncer did not listen within 10 s")
