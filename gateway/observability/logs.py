"""Logging: plain lines for a terminal, or one JSON object per line for a log pipeline, each
carrying the id of the request that caused it.

GATEWAY_LOG_FORMAT=json gives lines such as
{"ts": "2026-11-22T18:00:00.123Z", "level": "ERROR", "logger": "gateway.errors",
 "message": "internal error in dashboard (request 3f2a...)", "requestId": "3f2a...", "exc": "..."}
"""

from __future__ import annotations

import contextvars
import json
import logging
from datetime import UTC, datetime

__all__ = ["LOG_REQUEST_ID", "JsonFormatter", "configure_logging"]

# The request being served by this task; asyncio copies it into the tasks a request starts.
LOG_REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "log_request_id", default=None
)

# What a LogRecord carries of its own; anything else passed as `extra` is kept in the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class _RequestId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.requestId = LOG_REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, fmt: str, access_log: bool) -> None:
    """The root logger for the gateway's process: `fmt` is "text" or "json"."""
    handler = logging.StreamHandler()
    handler.addFilter(_RequestId())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("gateway.access").setLevel(logging.INFO if access_log else logging.WARNING)
