"""The native store: the gateway's own database (SQLite embedded, or PostgreSQL shared by
replicas), fed by ingest, answering every report."""

from gateway.providers.native.postgres import PostgresStore
from gateway.providers.native.provider import NativeProvider
from gateway.providers.native.sqlite import SqliteStore
from gateway.providers.native.store import Store, open_store

__all__ = ["NativeProvider", "PostgresStore", "SqliteStore", "Store", "open_store"]
