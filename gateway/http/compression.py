"""Compression of answers, negotiated by Accept-Encoding: brotli or gzip for bodies of
MIN_BYTES and more, identity otherwise.

Answers are compressed once where they are kept: a cached GraphQL answer keeps each encoding
beside its identity bytes (see ResponseCache.encoded), and the static assets (GraphiQL's files,
the dashboard page) are compressed at start-up, off the loop. Only an answer built for one
request (a cache miss, a CSV export) is compressed for it, at a quality fit for that.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from aiohttp import web

__all__ = [
    "MIN_BYTES",
    "Asset",
    "StaticAssets",
    "StreamCompressor",
    "compress",
    "compressed_response",
    "negotiate",
    "weak",
]

# Below this a compressed body saves less than its headers and the CPU cost (about one TCP
# segment's worth).
MIN_BYTES = 1024

# For answers built per request: brotli 4 and gzip 5 are some 10x quicker than their maximum
# for a few percent of size. Assets, compressed once, take brotli 9 and gzip 9 (brotli 11 takes
# some 12 s over GraphiQL's 3.5 MB script for 10% less).
_QUICK = {"br": 4, "gzip": 5}
_THOROUGH = {"br": 9, "gzip": 9}

_CHOSEN: dict[str, str | None] = {}  # Accept-Encoding values repeat: browsers send a few


def negotiate(accept_encoding: str | None) -> str | None:
    """The encoding to answer in: "br" or "gzip" when the client takes it (q > 0, by name or by
    "*"), brotli first at equal weight; None for identity."""
    if not accept_encoding:
        return None
    chosen = _CHOSEN.get(accept_encoding, "")
    if chosen != "":
        return chosen
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                weight = float(params[2:])
            except ValueError:
                weight = 0.0
        weights[name.strip()] = weight
    star = weights.get("*", 0.0)
    best, best_weight = None, 0.0
    for name in ("br", "gzip"):
        weight = weights.get(name, star)
        if weight > best_weight:
            best, best_weight = name, weight
    if len(_CHOSEN) >= 256:
        _CHOSEN.clear()
    _CHOSEN[accept_encoding] = best
    return best


def compress(body: bytes, encoding: str, *, thorough: bool = False) -> bytes:
    level = (_THOROUGH if thorough else _QUICK)[encoding]
    if encoding == "br":
        # A window no larger than the body needs (from 64 KiB up): less to set up per call.
        window = min(22, max(16, len(body).bit_length()))
        return bytes(brotli.compress(body, quality=level, lgwin=window))
    return gzip.compress(body, compresslevel=level, mtime=0)


def weak(etag: str) -> str:
    """A compressed body's ETag: the identity body's, weak, since its bytes differ (as nginx
    does); If-None-Match compares weakly, so either revalidates."""
    return etag if etag.startswith("W/") else f"W/{etag}"


def compressed_response(request: web.Request, response: web.StreamResponse) -> None:
    """Compress a whole answer in place when the client takes it and it is worth it; the
    answer says Vary: Accept-Encoding either way, for a cache between may hold both."""
    if not isinstance(response, web.Response):
        return
    body = response.body
    if not isinstance(body, bytes) or "content-encoding" in response.headers:
        return
    vary = response.headers.get("vary", "")
    if "accept-encoding" not in vary.lower():
        response.headers["vary"] = f"{vary}, accept-encoding" if vary else "accept-encoding"
    if len(body) < MIN_BYTES:
        return
    encoding = negotiate(request.headers.get("accept-encoding"))
    if encoding is None:
        return
    response.body = compress(body, encoding)
    response.headers["content-encoding"] = encoding
    etag = response.headers.get("etag")
    if etag:
        response.headers["etag"] = weak(etag)


class StreamCompressor:
    """One streamed answer's encoder (the CSV export)."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        if encoding == "br":
            self._br = brotli.Compressor(quality=_QUICK["br"])
        else:
            self._gz = zlib.compressobj(_QUICK["gzip"], zlib.DEFLATED, 16 + zlib.MAX_WBITS)

    def chunk(self, data: bytes) -> bytes:
        if self.encoding == "br":
            return bytes(self._br.process(data))
        return self._gz.compress(data)

    def finish(self) -> bytes:
        if self.encoding == "br":
            return bytes(self._br.finish())
        return self._gz.flush()


@dataclass(frozen=True)
class Asset:
    """A file served as it is, in each encoding, with the ETag of its bytes."""

    content_type: str
    identity: bytes
    etag: str
    encoded: Mapping[str, bytes] = field(default_factory=dict)

    @classmethod
    def build(cls, data: bytes, content_type: str) -> Asset:
        encoded = (
            {name: compress(data, name, thorough=True) for name in ("br", "gzip")}
            if len(data) >= MIN_BYTES
            else {}
        )
        # Keep an encoding only where it is smaller (an image, say, is not).
        kept = {name: body for name, body in encoded.items() if len(body) < len(data)}
        etag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
        return cls(content_type, data, etag, kept)

    def response(self, request: web.Request, headers: Mapping[str, str]) -> web.Response:
        encoding = negotiate(request.headers.get("accept-encoding"))
        sent = {"vary": "accept-encoding", "etag": self.etag, **headers}
        body = self.identity
        if encoding is not None and encoding in self.encoded:
            body = self.encoded[encoding]
            sent.update({"content-encoding": encoding, "etag": weak(self.etag)})
        wanted = request.headers.get("if-none-match", "")
        if wanted and self.etag.strip('"') in wanted:
            return web.Response(status=304, headers=sent)
        return web.Response(body=body, content_type=self.content_type, headers=sent)


class StaticAssets:
    """Files read and compressed once, off the loop, when first asked for or warmed at start;
    requests that come while one is compressed wait for that one result."""

    def __init__(self) -> None:
        self._assets: dict[Path, asyncio.Future[Asset]] = {}

    def get(self, path: Path, content_type: str) -> asyncio.Future[Asset]:
        found = self._assets.get(path)
        if found is None:
            loop = asyncio.get_running_loop()
            found = asyncio.ensure_future(
                loop.run_in_executor(None, lambda: Asset.build(path.read_bytes(), content_type))
            )
            self._assets[path] = found
        return found

    async def settle(self) -> None:
        """Wait for the compressions under way (the app is stopping)."""
        for future in list(self._assets.values()):
            with contextlib.suppress(Exception):
                await future

    async def serve(
        self, request: web.Request, path: Path, content_type: str, headers: Mapping[str, str]
    ) -> web.Response:
        try:
            asset = await asyncio.shield(self.get(path, content_type))
        except OSError:
            self._assets.pop(path, None)  # gone or unreadable: try again next time
            raise
        return asset.response(request, headers)
