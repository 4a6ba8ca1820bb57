"""One server for the throughput benchmark, in a process of its own.

    python -m tests.benchmarks.serve_one gateway|default|plain|upstream|floor --database DB
        --port N [--body FILE] [--workers N] [--sources FILE] [--upstream URL --key KEY]

gateway: the gateway as configured by default; default: the same graph with every fast path
turned off (stock Strawberry parsing, validation and JSON, no response cache); plain: an
aiohttp handler answering FILE's bytes to POST /graphql; upstream: a static Pilot Status,
answering FILE's bytes to GET /v1/analytics/dashboard; floor: the least an aiohttp handler
does to answer the upstream dashboard's GraphQL document (decode the request's JSON, GET Pilot
Status at URL through one shared ClientSession, decode its JSON, encode the same answer the
gateway gives with orjson).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import orjson
from aiohttp import web

from gateway.__main__ import main as gateway_main


def plain_app(body: bytes, *, upstream: bool = False) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    if upstream:
        app.router.add_get("/v1/analytics/dashboard", answer)
    else:
        app.router.add_post("/graphql", answer)
    return app


SESSION = web.AppKey("session", aiohttp.ClientSession)
FIGURES = ("date", "sent", "delivered", "read", "failed")


def floor_app(upstream: str, key: str) -> web.Application:
    async def answer(request: web.Request) -> web.Response:
        orjson.loads(await request.read())
        params = {"period": "30d", "timezone": "UTC"}
        async with request.app[SESSION].get(
            upstream + "/v1/analytics/dashboard", params=params, headers={"x-api-key": key}
        ) as response:
            body = orjson.loads(await response.read())
        series = [{name: point[name] for name in FIGURES} for point in body["series"]]
        data = {"data": {"number": {"dashboard": {"series": series}}}}
        return web.Response(body=orjson.dumps(data), content_type="application/json")

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[SESSION] = aiohttp.ClientSession()
        yield
        await app[SESSION].close()

    app = web.Application()
    app.cleanup_ctx.append(session)
    app.router.add_post("/graphql", answer)
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["gateway", "default", "plain", "upstream", "floor"])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", type=Path)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sources", type=Path)
    parser.add_argument("--upstream", default="")
    parser.add_argument("--key", default="")
    args = parser.parse_args()
    if args.kind == "floor":
        app = floor_app(args.upstream, args.key)
        web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)
        return
    if args.kind in ("plain", "upstream"):
        assert args.body is not None
        web.run_app(
            plain_app(args.body.read_bytes(), upstream=args.kind == "upstream"),
            host="127.0.0.1",
            port=args.port,
            print=None,
            access_log=None,
        )
        return
    argv = [
        "serve",
        "--no-demo",
        "--database",
        str(args.database),
        "--port",
        str(args.port),
        "--workers",
        str(args.workers),
    ]
    if args.kind == "default":
        argv.append("--no-fast-path")
    if args.sources is not None:
        argv += ["--sources-file", str(args.sources)]
    sys.exit(gateway_main(argv))


if __name__ == "__main__":
    main()
