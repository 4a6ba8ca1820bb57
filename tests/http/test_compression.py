"""Compression by Accept-Encoding: GraphQL answers (missed and kept), CSV exports and static
files, in brotli or gzip from 1 KiB on, identity otherwise, always with Vary."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import brotli
import orjson
import pytest

from gateway.config.settings import Settings
from gateway.http.app import create_app
from gateway.http.compression import negotiate
from gateway.providers.native import SqliteStore, Store
from tests.support.campaigns import seed
from tests.support.gateway import Gateway, World, fixed_clock, serve

DASHBOARD = "{ numbers { dashboard(period: DAYS_30) { series { date total delivered read } } } }"


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """Compression is the same whatever the store: SQLite alone here."""
    opened = await SqliteStore.open(tmp_path / "gateway.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
async def cached(world: World, tmp_path: Path) -> AsyncIterator[Gateway]:
    assets = tmp_path / "graphiql-assets"
    assets.mkdir()
    (assets / "big.js").write_text("function graphiql() { return 42; }\n" * 2000)
    settings = Settings(
        store_url=world.store.url, demo=False, rate_limit=0, database=tmp_path / "gateway.sqlite3"
    )
    async for running in serve(create_app(settings, clock=fixed_clock)):
        yield running


def decode(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    assert encoding is None
    return body


async def raw(
    session: aiohttp.ClientSession, method: str, url: Any, accept: str | None, **kwargs: Any
) -> tuple[int, dict[str, str], bytes]:
    headers = {**kwargs.pop("headers", {}), "accept-encoding": accept or "identity"}
    async with session.request(
        method, url, headers=headers, auto_decompress=False, **kwargs
    ) as response:
        return response.status, dict(response.headers), await response.read()


def test_the_encoding_follows_accept_encoding_weights() -> None:
    assert negotiate("gzip, deflate, br, zstd") == "br"
    assert negotiate("gzip") == "gzip"
    assert negotiate("br;q=0.5, gzip;q=0.8") == "gzip"
    assert negotiate("br;q=0, gzip;q=0") is None
    assert negotiate("*") == "br" and negotiate("*, br;q=0") == "gzip"
    assert negotiate("identity") is None and negotiate(None) is None and negotiate("") is None


async def test_graphql_answers_are_compressed_missed_and_kept(
    cached: Gateway, world: World
) -> None:
    key = {"x-api-key": world.keys["acme_tenant"]}
    body = {"json": {"query": DASHBOARD}, "headers": key}
    status, headers, identity = await raw(cached.session, "POST", cached.url, None, **body)
    assert status == 200 and "content-encoding" not in headers and len(identity) > 1024
    assert headers["Vary"] == "accept, accept-encoding" and headers["x-cache"] == "miss"
    strong = headers["Etag"]
    for accept, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip")):
        status, headers, sent = await raw(cached.session, "POST", cached.url, accept, **body)
        assert status == 200 and headers["x-cache"] == "hit"  # the kept answer, compressed
        assert headers["Content-Encoding"] == encoding
        assert headers["Vary"] == "accept, accept-encoding"
        assert decode(sent, encoding) == identity and len(sent) < len(identity) / 4
        assert headers["Etag"] == f"W/{strong}"
    status, headers, again = await raw(cached.session, "POST", cached.url, "br;q=0", **body)
    assert "content-encoding" not in headers and again == identity
    # A miss is compressed too; a small answer is not, but says Vary all the same (the media
    # type is chosen by Accept, the encoding by Accept-Encoding).
    other = {"json": {"query": DASHBOARD.replace("DAYS_30", "DAYS_90")}, "headers": key}
    status, headers, sent = await raw(cached.session, "POST", cached.url, "br", **other)
    assert headers["x-cache"] == "miss" and headers["Content-Encoding"] == "br"
    assert orjson.loads(decode(sent, "br"))["data"]["numbers"]
    small = {"json": {"query": "{ viewer { tenantId } }"}, "headers": key}
    status, headers, sent = await raw(cached.session, "POST", cached.url, "br", **small)
    assert "content-encoding" not in headers and headers["Vary"] == "accept, accept-encoding"


async def test_a_compressed_answers_weak_etag_revalidates(cached: Gateway, world: World) -> None:
    key = {"x-api-key": world.keys["acme_tenant"]}
    url = cached.server.make_url("/graphql").with_query(query=DASHBOARD)
    status, headers, _ = await raw(cached.session, "GET", url, "br", headers=key)
    assert status == 200 and headers["Etag"].startswith('W/"')
    for tag in (headers["Etag"], headers["Etag"].removeprefix("W/")):
        revalidate = {**key, "if-none-match": tag}
        status, sent, body = await raw(cached.session, "GET", url, "br", headers=revalidate)
        assert status == 304 and body == b""
        assert sent["Etag"] == headers["Etag"]  # the ETag the 200 would carry


async def test_csv_exports_are_compressed(cached: Gateway, world: World) -> None:
    await seed(world, 60)
    url = cached.server.make_url("/export/campaigns.csv").with_query(startDate="2026-10-01")
    key = {"x-api-key": world.keys["acme_tenant"]}
    _, headers, identity = await raw(cached.session, "GET", url, None, headers=key)
    assert "content-encoding" not in headers and len(identity) > 1024
    for encoding in ("br", "gzip"):
        status, headers, sent = await raw(cached.session, "GET", url, encoding, headers=key)
        assert status == 200 and headers["Content-Encoding"] == encoding
        assert headers["Vary"] == "accept-encoding"
        assert decode(sent, encoding) == identity and len(sent) < len(identity) / 2


@pytest.mark.parametrize("path", ["/dashboard", "/dashboard.js", "/graphiql-assets/big.js"])
async def test_static_files_are_compressed_once_and_revalidate(cached: Gateway, path: str) -> None:
    url = cached.server.make_url(path)
    _, headers, identity = await raw(cached.session, "GET", url, None)
    assert "content-encoding" not in headers and headers["Vary"] == "accept-encoding"
    for encoding in ("br", "gzip"):
        status, headers, sent = await raw(cached.session, "GET", url, encoding)
        assert status == 200 and headers["Content-Encoding"] == encoding
        assert decode(sent, encoding) == identity and len(sent) < len(identity)
        revalidate = {"if-none-match": headers["Etag"]}
        status, _, body = await raw(cached.session, "GET", url, encoding, headers=revalidate)
        assert status == 304 and body == b""


async def test_graphiqls_page_is_compressed(cached: Gateway) -> None:
    html = {"accept": "text/html"}
    _, headers, identity = await raw(cached.session, "GET", cached.url, None, headers=html)
    assert b"graphiql" in identity.lower() and "content-encoding" not in headers
    _, headers, sent = await raw(cached.session, "GET", cached.url, "br", headers=html)
    assert headers["Content-Encoding"] == "br" and decode(sent, "br") == identity
