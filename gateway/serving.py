"""Serving: one process, or a supervisor with N worker processes sharing one port."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable

from aiohttp import web

from gateway.app import create_app
from gateway.settings import Settings

__all__ = ["serve_once", "supervise"]

log = logging.getLogger("gateway.serving")


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def serve_once(
    settings: Settings, *, reuse_port: bool = False, ready: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGINT or SIGTERM, then let in-flight requests finish and close the store."""
    runner = web.AppRunner(create_app(settings), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, reuse_port=reuse_port)
    await site.start()
    if ready is not None:
        host, port = runner.addresses[0][:2]
        ready(_url(host, port))
    try:
        await _signalled()
    finally:
        await runner.cleanup()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def worker_env(settings: Settings, port: int) -> dict[str, str]:
    """The settings as GATEWAY_* variables, for a worker to read as it starts."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"GATEWAY_{name.upper()}"] = (
                str(value).lower() if isinstance(value, bool) else (str(value))
            )
    env.update(GATEWAY_PORT=str(port), GATEWAY_DEMO="false", GATEWAY_WORKERS="1")
    return env


async def _listening(host: str, port: int, deadline: float) -> None:
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise RuntimeError(f"no worker listened on {host}:{port} in time")


async def supervise(settings: Settings, ready: Callable[[str], None] | None = None) -> int:
    """Start `settings.workers` processes on one port (SO_REUSEPORT: the kernel spreads the
    connections); stop them all on SIGINT or SIGTERM, or when one of them dies."""
    port = settings.port or _free_port(settings.host)
    env = worker_env(settings, port)
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "gateway", "serve", "--worker", env=env
        )
        for _ in range(settings.workers)
    ]
    try:
        await _listening(settings.host, port, asyncio.get_running_loop().time() + 30)
        if ready is not None:
            ready(_url(settings.host, port))
        stop = asyncio.ensure_future(_signalled())
        died = [asyncio.ensure_future(w.wait()) for w in workers]
        done, _ = await asyncio.wait([stop, *died], return_when=asyncio.FIRST_COMPLETED)
        failed = stop not in done
        if failed:
            log.error("a worker exited; stopping the others")
        stop.cancel()
        return 1 if failed else 0
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            await worker.wait()
