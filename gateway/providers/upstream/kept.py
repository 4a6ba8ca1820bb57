"""Upstream answers kept for stale-while-revalidate: fresh for the source's cache_ttl_seconds,
then served stale for stale_seconds while one refresh runs in the background, or for
stale_if_error_seconds while the platform fails. Which answers went out stale, and how old, is
remembered by the answer's identity, so that the graph can name the fields they fill."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

__all__ = ["KeptAnswers", "mark_stale", "stale_age"]

MAX_KEPT = 1024  # answers kept per source, the least recently used dropped first
MAX_MARKED = 4096  # stale answers remembered, across sources


@dataclass
class Kept:
    value: object
    fetched: float  # time.monotonic() when the platform answered


class KeptAnswers:
    """One source's kept answers by call (path, parameters and credential)."""

    def __init__(self, fresh: float, stale: float, if_error: float) -> None:
        self.fresh = fresh
        self.stale = stale
        self.if_error = if_error
        self._kept: OrderedDict[object, Kept] = OrderedDict()

    @property
    def on(self) -> bool:
        return self.stale > 0 or self.if_error > 0

    def find(self, key: object) -> tuple[object, float] | None:
        """The kept answer and its age, while it may still be served for some reason."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        age = time.monotonic() - kept.fetched
        if age > self.fresh + max(self.stale, self.if_error):
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        return kept.value, age

    def keep(self, key: object, value: object) -> None:
        self._kept[key] = Kept(value, time.monotonic())
        self._kept.move_to_end(key)
        while len(self._kept) > MAX_KEPT:
            self._kept.popitem(last=False)


# Stale answers by identity, each held (so that its id is not reused while it is here).
_marked: OrderedDict[int, tuple[object, str, float]] = OrderedDict()


def mark_stale(value: object, source: str, age: float) -> None:
    """Remember that `value` went out `age` seconds old from `source` (a number or a string
    may be shared by identity with others: those go unmarked)."""
    if isinstance(value, int | float | str | bool) or value is None:
        return
    _marked[id(value)] = (value, source, age)
    while len(_marked) > MAX_MARKED:
        _marked.popitem(last=False)


def stale_age(value: object) -> tuple[str, float] | None:
    """(source, age) when `value` went out stale; None for a fresh one."""
    if not _marked:
        return None
    found = _marked.get(id(value))
    if found is None or found[0] is not value:
        return None
    return found[1], found[2]
