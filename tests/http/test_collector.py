"""The collector settles once the gateway has started: what start-up built is frozen out of
full collections, and the young generation is collected at the threshold the settings give."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from gateway.config.settings import Settings
from gateway.http.serving import settle_collector


@pytest.fixture(autouse=True)
def restored() -> Iterator[None]:
    """Other tests share the process: its thresholds and frozen objects are given back."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_the_young_generation_is_collected_at_the_setting() -> None:
    settle_collector(Settings(demo=False))
    assert gc.get_threshold() == (50_000, 20, 100)
    settle_collector(Settings(demo=False, gc_young_objects=1_234))
    assert gc.get_threshold() == (1_234, 20, 100)


def test_zero_keeps_pythons_thresholds() -> None:
    gc.set_threshold(700, 10, 10)
    settle_collector(Settings(demo=False, gc_young_objects=0))
    assert gc.get_threshold() == (700, 10, 10)


def test_what_start_up_built_is_frozen() -> None:
    gc.unfreeze()
    kept = [[n] for n in range(100)]  # tracked objects alive as the gateway starts
    settle_collector(Settings(demo=False))
    assert gc.get_freeze_count() >= len(kept)


def test_the_setting_is_bounded() -> None:
    with pytest.raises(ValueError):
        Settings(demo=False, gc_young_objects=-1)
    Settings(demo=False, gc_young_objects=10_000_000)
    with pytest.raises(ValueError):
        Settings(demo=False, gc_young_objects=10_000_001)
