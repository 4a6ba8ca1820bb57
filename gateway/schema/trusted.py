"""Trusted documents: the operations a production frontend ships, listed in a manifest, so that
the gateway can refuse every other document by its hash before parsing it.

The manifest is Apollo's persisted-query manifest (`{"format": "apollo-persisted-query-manifest",
"version": 1, "operations": [{"id", "name", "type", "body"}]}`), or a plain JSON object of
`{"<sha256 of the body>": "<body>"}` as graphql-codegen's client preset writes it. Each id must be
the sha256 of its body. Clients name a document by `extensions.persistedQuery.sha256Hash` (as
Apollo's clients do) or by `documentId` (as the GraphQL-over-HTTP persisted documents draft and
Hive's clients do), or send its very text.

Modes: `off` (the manifest is not read), `prefer` (listed documents are served by id, and other
documents are still taken), `only` (anything not listed is refused; automatic persisted queries
cannot add to the list).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from graphql import GraphQLError, specified_rules

from gateway.config.settings import Settings
from gateway.errors import GatewayError
from gateway.schema import build_schema, limits_of
from gateway.schema.compat import graphql_schema
from gateway.schema.documents import parse_within
from gateway.schema.shape import ShapeLimits
from gateway.schema.validation import validate_within

__all__ = [
    "NONE",
    "DocumentNotTrusted",
    "ManifestError",
    "TrustMode",
    "TrustedDocuments",
    "check_documents",
    "load_manifest",
    "trusted_documents",
]

TrustMode = Literal["off", "prefer", "only"]
_SHA256 = re.compile(r"^(sha256:)?([0-9a-f]{64})$")


class DocumentNotTrusted(GatewayError):
    """The gateway takes only its trusted documents, and this one is not among them."""

    code = "PERSISTED_QUERY_NOT_IN_LIST"
    status = 400


class ManifestError(ValueError):
    """The trusted documents' manifest cannot be used; the message says where and why."""


@dataclass(frozen=True)
class TrustedDocuments:
    """The manifest's documents by the sha256 of their text, and how strictly to hold to them."""

    mode: TrustMode
    bodies: Mapping[str, str]

    @property
    def only(self) -> bool:
        return self.mode == "only"

    def body(self, document_id: str) -> str | None:
        """The text of a listed document by its id (`sha256:` prefix optional)."""
        matched = _SHA256.match(document_id)
        return None if matched is None else self.bodies.get(matched.group(2))

    def trusts(self, text: str) -> bool:
        return hashlib.sha256(text.encode()).hexdigest() in self.bodies


NONE = TrustedDocuments("off", {})


def trusted_documents(settings: Settings) -> TrustedDocuments:
    """The trusted documents the settings name; ManifestError when they cannot be used."""
    mode = settings.trusted_documents_mode
    if settings.trusted_documents is None:
        if mode == "only":
            raise ManifestError("trusted_documents_mode is only, but no manifest is set")
        return NONE
    return load_manifest(settings.trusted_documents, mode)


def check_documents(manifest: TrustedDocuments, settings: Settings) -> list[str]:
    """What is wrong with each listed document: a syntax error, an invalid field, a limit."""
    schema = graphql_schema(build_schema(limits=limits_of(settings)))
    limits = limits_of(settings)
    shape = ShapeLimits(
        limits.max_fields, limits.max_depth, limits.max_aliases, limits.max_fragment_spreads
    )
    problems = []
    for digest, body in sorted(manifest.bodies.items()):
        try:
            document = parse_within(body, limits.parsing)
        except GraphQLError as error:
            problems.append(f"{digest}: {error.message}")
            continue
        errors = validate_within(schema, document, specified_rules, shape, limits.max_merge_pairs)
        problems += [f"{digest}: {error.message}" for error in errors]
    return problems


def load_manifest(path: Path, mode: TrustMode) -> TrustedDocuments:
    """The manifest at `path`, every id checked against its body; ManifestError otherwise."""
    if mode == "off":
        return NONE
    try:
        raw = json.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(f"{path}: {error.strerror or error}") from None
    except (ValueError, RecursionError):
        raise ManifestError(f"{path}: not JSON") from None
    entries = _entries(raw, path)
    bodies: dict[str, str] = {}
    for where, document_id, body in entries:
        matched = _SHA256.match(document_id) if isinstance(document_id, str) else None
        if matched is None or not isinstance(body, str):
            raise ManifestError(f"{path}: {where}: an id is a sha256 hex digest, a body a string")
        if hashlib.sha256(body.encode()).hexdigest() != matched.group(2):
            raise ManifestError(f"{path}: {where}: the id is not the sha256 of the body")
        bodies[matched.group(2)] = body
    return TrustedDocuments(mode, bodies)


def _entries(raw: object, path: Path) -> list[tuple[str, object, object]]:
    if isinstance(raw, dict) and raw.get("format") == "apollo-persisted-query-manifest":
        if raw.get("version") != 1:
            raise ManifestError(f"{path}: only version 1 of Apollo's manifest is known")
        operations = raw.get("operations")
        if not isinstance(operations, list):
            raise ManifestError(f"{path}: operations must be a list")
        return [
            (f"operations[{i}]", op.get("id"), op.get("body"))
            if isinstance(op, dict)
            else (f"operations[{i}]", None, None)
            for i, op in enumerate(operations)
        ]
    if isinstance(raw, dict):
        return [(repr(key)[:80], key, body) for key, body in raw.items()]
    raise ManifestError(f"{path}: expected Apollo's manifest or an object of hash: document")
