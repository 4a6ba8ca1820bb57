"""Serving: one process, or a supervisor with N worker processes sharing one port."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Callable

from aiohttp import web

from gateway.config.settings import Settings
from gateway.config.sources import SourcesError
from gateway.http.app import create_app, metrics_app
from gateway.http.appkeys import CONFIGURATION
from gateway.http.connections import harden
from gateway.http.health import HEALTH, Health, probes_app
from gateway.http.reload import read_files
from gateway.observability.tracing import configure_tracing
from gateway.schema.trusted import ManifestError

__all__ = ["ServeError", "serve_once", "settle_collector", "supervise", "worker_ready"]

log = logging.getLogger("gateway.http.serving")


class ServeError(Exception):
    """The gateway could not start serving (a worker failed to start, say)."""


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


async def _setup_listening(
    runner: web.AppRunner, settings: Settings, health: Health, reuse_port: bool
) -> int:
    """Start the app (open and migrate its store) while the probes answer on its port; the
    port, which the app then listens on. The probes' listener closes just before the app's
    opens: a connection in that instant is refused, and tried again."""
    probes = web.AppRunner(probes_app(health), access_log=None, handle_signals=False)
    await probes.setup()
    try:
        await web.TCPSite(probes, settings.host, settings.port, reuse_port=reuse_port).start()
        port = int(probes.addresses[0][1])
        await runner.setup()
    finally:
        await probes.cleanup()
    return port


async def _serve_metrics(settings: Settings, reuse_port: bool) -> web.AppRunner:
    """/metrics on its own listener (loopback by default). Workers share its port as they
    share the public one, and whichever the kernel hands a scrape to adds up all of them."""
    runner = web.AppRunner(metrics_app(settings), access_log=None, handle_signals=False)
    await runner.setup()
    host, port = settings.metrics_host, settings.metrics_port
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port).start()
    except OSError as error:
        await runner.cleanup()
        raise ServeError(
            f"/metrics cannot listen on {_url(host, port)}: {error.strerror or error}; set"
            " GATEWAY_METRICS_PORT to a free port (0: any), or GATEWAY_METRICS_PUBLIC=true"
        ) from None
    bound = runner.addresses[0]
    log.info("metrics at %s/metrics", _url(str(bound[0]), int(bound[1])))
    return runner


def _stop_on_signals(hangup: Callable[[], None] | None = None) -> asyncio.Event:
    """An event set by SIGINT or SIGTERM; `hangup` is called on each SIGHUP from now on."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if hangup is not None:
        loop.add_signal_handler(signal.SIGHUP, hangup)
    return stop


def _reloader(app: web.Application) -> Callable[[], None]:
    """SIGHUP's handler: reload the app's configuration (gateway.http.reload), one at a time."""
    running: set[asyncio.Task[bool]] = set()

    def hangup() -> None:
        live = app.get(CONFIGURATION)
        if live is not None:
            task = asyncio.ensure_future(live.reload())
            running.add(task)
            task.add_done_callback(running.discard)

    return hangup


def settle_collector(settings: Settings) -> None:
    """What start-up built (modules, the schema, the store's connections) lives as long as the
    process: kept out of the collector's view, a full collection no longer walks some hundred
    thousand objects. Then the young generation is collected every `gc_young_objects`
    allocations instead of 700: most of a request's or a live round's objects are freed by their
    last reference before that, so far fewer survive into the older generations, and the full
    collections they set off (each walking every live subscription's state: some 100 ms at a
    thousand subscriptions) come rarely. Measured with 1,000 live dashboards of one tenant and an
    event every 50 ms (tests.benchmarks.live_fanout, medians of 3, loaded two-core machine):
    worst /healthz wait 130 -> 69 ms for distinct questions, 139 -> 44 ms when every event
    changes the answer, unchanged for one shared question; CPU per event unchanged."""
    gc.collect()
    gc.freeze()
    if settings.gc_young_objects:
        gc.set_threshold(settings.gc_young_objects, 20, 100)


async def serve_once(
    settings: Settings, *, reuse_port: bool = False, ready: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGINT or SIGTERM, then drain: /readyz answers 503 while the gateway goes
    on serving for `drain_seconds`, then the listener closes, in-flight requests finish and
    the store closes; reload the sources file and trusted documents on SIGHUP. The port
    listens (/livez, /readyz) while the store opens and migrates. A connection idle (or still
    sending its headers) for `header_timeout_seconds` is closed."""
    try:
        provider = configure_tracing() if settings.otel else None
    except RuntimeError as problem:  # the extra missing, an exporter it does not know
        raise ServeError(str(problem)) from None
    app = create_app(settings)
    health = app[HEALTH]
    runner = web.AppRunner(
        app,
        access_log=None,
        handle_signals=False,
        keepalive_timeout=settings.header_timeout_seconds,
    )
    # The handlers first: a signal while the store opens (the probes already answer) must not
    # end the process by the default action. SIGTERM then stops it as soon as it is up; SIGHUP
    # reloads nothing until there is a configuration.
    stop = _stop_on_signals(_reloader(app))
    runners = [runner]
    try:
        port = await _setup_listening(runner, settings, health, reuse_port)
        assert runner.server is not None
        harden(runner.server, settings.max_connections_per_address)
        site = web.TCPSite(runner, settings.host, port, reuse_port=reuse_port)
        await site.start()
        if not settings.metrics_public:
            runners.append(await _serve_metrics(settings, reuse_port))
        settle_collector(settings)
        if ready is not None:
            host, bound = runner.addresses[0][:2]
            ready(_url(host, bound))
        await stop.wait()
        health.drain()
        if settings.drain_seconds:
            log.info("draining: not ready, serving %g s more", settings.drain_seconds)
            await asyncio.sleep(settings.drain_seconds)
    finally:
        for running in reversed(runners):
            await running.cleanup()
        # Only now: a SIGHUP while requests still finish must not end the process either.
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if provider is not None:
            provider.shutdown()  # the spans still batched are exported first


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def worker_env(settings: Settings, port: int) -> dict[str, str]:
    """The settings as GATEWAY_* variables, for a worker to read as it starts."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        if isinstance(value, bool):
            env[f"GATEWAY_{name.upper()}"] = str(value).lower()
        elif isinstance(value, list | dict):
            env[f"GATEWAY_{name.upper()}"] = json.dumps(value)
        elif value is not None:
            env[f"GATEWAY_{name.upper()}"] = str(value)
    env.update(GATEWAY_PORT=str(port), GATEWAY_DEMO="false", GATEWAY_WORKERS="1")
    return env


def worker_ready(fd: int | None) -> Callable[[str], None] | None:
    """A worker's `ready` callback: one line on the pipe its supervisor gave it, then closed."""
    if fd is None:
        return None

    def ready(url: str) -> None:
        with os.fdopen(fd, "w") as pipe:
            pipe.write(url + "\n")

    return ready


async def _start_worker(env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    """A worker process, and the read end of the pipe on which it says it is listening."""
    read_fd, write_fd = os.pipe()
    try:
        worker = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "gateway", "serve", "--worker", "--ready-fd", str(write_fd)),
            env=env,
            pass_fds=(write_fd,),
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return worker, read_fd


async def _ready(worker: asyncio.subprocess.Process, read_fd: int) -> None:
    """Wait for the worker's line; an empty read means it exited (or closed the pipe) first."""
    loop = asyncio.get_running_loop()
    with os.fdopen(read_fd, "rb") as pipe:
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), pipe
        )
        try:
            line = await reader.readline()
        finally:
            transport.close()
    if not line:
        raise ServeError(f"worker {worker.pid} exited before it was listening")


async def supervise(settings: Settings, ready: Callable[[str], None] | None = None) -> int:
    """Start `settings.workers` processes on one port (SO_REUSEPORT: the kernel spreads the
    connections); stop them all on SIGINT or SIGTERM, or when one of them dies."""
    port = settings.port or _free_port(settings.host)
    if not settings.metrics_public and settings.metrics_port == 0:  # one port for every worker
        settings = settings.model_copy(update={"metrics_port": _free_port(settings.metrics_host)})
    env = worker_env(settings, port)
    with tempfile.TemporaryDirectory(prefix="gateway-metrics-") as metrics:
        # Each worker writes its metrics here and /metrics on any of them adds them all up.
        env["PROMETHEUS_MULTIPROC_DIR"] = metrics
        return await _run_workers(settings, env, port, ready)


def _forward_hangup(
    settings: Settings, workers: list[asyncio.subprocess.Process]
) -> Callable[[], None]:
    """SIGHUP's handler in the supervisor: the files are read here first, so that a bad one is
    refused in one line rather than once per worker; good ones are each worker's to reload."""

    def hangup() -> None:
        try:
            read_files(settings)
        except (SourcesError, ManifestError) as problem:
            log.error("reload refused, the configuration in use is kept: %s", problem)
            return
        for worker in workers:
            if worker.returncode is None:
                worker.send_signal(signal.SIGHUP)

    return hangup


async def _run_workers(
    settings: Settings, env: dict[str, str], port: int, ready: Callable[[str], None] | None
) -> int:
    # The handlers before the first worker starts: a signal while they start (or while they
    # drain, at the end) must not end the supervisor by the default action. SIGHUP reaches the
    # workers once they all listen (their own handlers are set by then).
    listening: list[asyncio.subprocess.Process] = []
    stopping = _stop_on_signals(_forward_hangup(settings, listening))
    started = [await _start_worker(env) for _ in range(settings.workers)]
    workers = [worker for worker, _ in started]
    try:
        # The banner only once every worker listens, so the first requests meet the whole pool.
        waiting = list(started)
        try:
            async with asyncio.timeout(60):
                while waiting:
                    await _ready(*waiting.pop(0))
        except TimeoutError:
            raise ServeError("the workers did not all start listening within 60 s") from None
        finally:
            for _, fd in waiting:
                os.close(fd)
        listening.extend(workers)
        if ready is not None:
            ready(_url(settings.host, port))
        stop = asyncio.ensure_future(stopping.wait())
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
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
