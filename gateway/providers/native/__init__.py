"""The native store: the gateway's own SQLite database, fed by ingest, answering every report."""

from gateway.providers.native.provider import NativeProvider
from gateway.providers.native.store import SqliteStore

__all__ = ["NativeProvider", "SqliteStore"]
