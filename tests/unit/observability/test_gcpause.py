"""The services' GC tuning: thresholds set, start-up objects frozen, every pause timed."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from brokerage.config import Settings
from brokerage.observability import gcpause


@pytest.fixture
def restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)
    if gcpause._timed in gc.callbacks:
        gc.callbacks.remove(gcpause._timed)


def _count(generation: str) -> float:
    for metric in gcpause.PAUSE_SECONDS.collect():
        for s in metric.samples:
            if s.name.endswith("_count") and s.labels["generation"] == generation:
                return s.value
    return 0.0


def test_default_thresholds_are_not_cpythons() -> None:
    assert Settings().gc_thresholds == (50_000, 10, 100)
    assert Settings(gc_thresholds=(700, 10, 10)).gc_thresholds == (700, 10, 10)


@pytest.mark.usefixtures("restore_gc")
def test_tune_freezes_sets_thresholds_and_times_pauses() -> None:
    kept = [object() for _ in range(1000)]
    gcpause.tune((12_345, 7, 50))
    assert gc.get_threshold() == (12_345, 7, 50)
    assert gc.get_freeze_count() >= len(kept)  # alive at start-up: out of every scan
    gcpause.tune((12_345, 7, 50))
    assert gc.callbacks.count(gcpause._timed) == 1  # idempotent: one timer
    before = _count("2")
    gc.collect()
    assert _count("2") == before + 1


@pytest.mark.usefixtures("restore_gc")
def test_cycles_made_after_start_up_are_still_collected() -> None:
    gcpause.tune((10_000, 10, 100))

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    ref = weakref.ref(a)
    del a, b
    assert ref() is not None  # a cycle: reference counting alone never frees it
    gc.collect()
    assert ref() is None


def test_thresholds_reach_child_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Services are started with the parent's settings as environment (Settings.to_env).
    parent = Settings(gc_thresholds=(5_000, 5, 50))
    for name, value in parent.to_env().items():
        monkeypatch.setenv(name, value)
    assert Settings().gc_thresholds == (5_000, 5, 50)
    assert Settings() == parent
