"""The fake upstream platforms on loopback ports, and fast retry settings for them."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.testing.fakes import (
    FakeState,
)

FAST = """timeout_seconds = 1.0
retries = 2
backoff_seconds = 0.05
breaker_failures = 4
breaker_reset_seconds = 0.5
cache_ttl_seconds = 1.0
max_body_kib = 256"""


@dataclass
class Platforms:
    states: dict[str, FakeState]
    ports: dict[str, int]
