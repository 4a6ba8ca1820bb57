"""The cached hit, compressed vs uncompressed, side by side in one run; and the sizes.

    python -m tests.benchmarks.compression                       # 25 rounds of 1,000 calls
    python -m tests.benchmarks.compression --rounds 3 --calls 300 --messages 200   # quick

The 30-day dashboard's answer is kept in the response cache, then the gateway's /graphql
handler (request id, admission steps, the cache, the answer) is called in-process, rounds
interleaved (each kind first in turn), for:
  off       GATEWAY_COMPRESSION=false: the hit as it was before compression
  identity  compression on, the client asks for none (Accept-Encoding absent)
  gzip      Accept-Encoding: gzip
  br        Accept-Encoding: gzip, deflate, br (as browsers send)
Each figure is the median over the rounds of the mean microseconds per call; each ratio is
against `off`, the median of the rounds' own ratios. Compressed bodies are kept beside the
identity bytes, so the compressed hits should cost what the identity hit does (target <= 1.15).
Then the answer's size in each encoding, and GraphiQL's script's when `gateway
graphiql-assets` has fetched it (--assets).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer, make_mocked_request
from multidict import CIMultiDict
from yarl import URL

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.compression import Asset
from tests.benchmarks.http_throughput import QUERY, Bench, build_store

KINDS = {"off": None, "identity": None, "gzip": "gzip", "br": "gzip, deflate, br"}
TARGET = 1.15

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def graphql_handler(app: web.Application) -> Handler:
    for route in app.router.routes():
        resource = route.resource
        if route.method == "GET" and resource is not None and resource.canonical == "/graphql":
            handler: Handler = route.handler
            return handler
    raise LookupError("no GET /graphql")


def request_for(app: web.Application, key: str, accept: str | None) -> Callable[[], web.Request]:
    path = str(URL("/graphql").with_query(query=QUERY))
    headers = CIMultiDict({"x-api-key": key, "accept": "application/json"})
    if accept is not None:
        headers["accept-encoding"] = accept
    return lambda: make_mocked_request("GET", path, headers=headers, app=app)


async def time_calls(handler: Handler, request: web.Request, calls: int) -> float:
    """Mean microseconds per call of `calls` hits. One request object is asked again and again
    (a mocked request costs a millisecond to build), so its headers are parsed once: the same
    saving for every kind."""
    gc.collect(1)  # the young generations: no collection of them lands in one kind alone
    started = time.perf_counter()
    for _ in range(calls):
        response = await handler(request)
        assert response.status == 200, response.status
    return (time.perf_counter() - started) / calls * 1e6


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-compression-") as root:
        bench = Bench(Path(root))
        await build_store(bench, args.messages)
        url = f"sqlite:///{bench.database}"
        # Two gateways: compression off, and on (asked in each of its three ways).
        servers = {
            on: TestServer(
                create_app(Settings(store_url=url, demo=False, rate_limit=0, compression=on)),
                host="127.0.0.1",
            )
            for on in (True, False)
        }
        for server in servers.values():
            await server.start_server()
        try:
            apps = {kind: servers[kind != "off"].app for kind in KINDS}
            makes = {kind: request_for(app, bench.key, KINDS[kind]) for kind, app in apps.items()}
            handlers = {kind: graphql_handler(app) for kind, app in apps.items()}
            sizes: dict[str, int] = {}
            for kind, handler in handlers.items():  # the first call keeps the answer
                for _ in range(2):
                    response = await handler(makes[kind]())
                assert isinstance(response, web.Response) and response.headers["x-cache"] == "hit"
                assert isinstance(response.body, bytes)
                sizes[kind] = len(response.body)
            figures: dict[str, list[float]] = {kind: [] for kind in KINDS}
            requests = {kind: make() for kind, make in makes.items()}
            order = list(KINDS)
            gc.collect()
            for _ in range(args.rounds):
                for kind in order:
                    figures[kind].append(
                        await time_calls(handlers[kind], requests[kind], args.calls)
                    )
                order = order[1:] + order[:1]  # no kind always first in its round
        finally:
            for server in servers.values():
                await server.close()
    medians = {kind: statistics.median(values) for kind, values in figures.items()}
    for kind in KINDS:
        print(f"{kind:<9} hit_us_median={medians[kind]:.1f} bytes={sizes[kind]}")
    for kind in ("identity", "gzip", "br"):
        # Each round's own ratio, then their median: a busy spell on a shared machine slows
        # every kind of a round alike, and falls out of the ratio.
        ratio = statistics.median(
            mine / off for mine, off in zip(figures[kind], figures["off"], strict=True)
        )
        print(f"ratio {kind}/off = {ratio:.2f} (target <= {TARGET})")
    print(f"answer bytes identity={sizes['identity']} gzip={sizes['gzip']} br={sizes['br']}")
    assets(args.assets)


def assets(directory: Path | None) -> None:
    scripts = sorted(directory.glob("graphiql@*/graphiql.min.js")) if directory else []
    if not scripts:
        print("graphiql script: not fetched (gateway graphiql-assets), sizes not measured")
        return
    data = scripts[0].read_bytes()
    started = time.perf_counter()
    asset = Asset.build(data, "application/javascript")
    seconds = time.perf_counter() - started
    print(
        f"graphiql script bytes identity={len(data)} gzip={len(asset.encoded['gzip'])}"
        f" br={len(asset.encoded['br'])} (compressed once at start-up in {seconds:.1f} s)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument(
        "--assets",
        type=Path,
        default=Path("data/graphiql-assets"),
        help="where `gateway graphiql-assets` put GraphiQL's files (default data/graphiql-assets)",
    )
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
