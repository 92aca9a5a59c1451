"""Python's cyclic garbage collector for the long-running services: fewer, shorter pauses.

Why: a full (oldest-generation) collection walks every tracked object, and the worker holds
~0.5 M of them (its cache of decoded trader states). With CPython's default thresholds
(700, 10, 10) it ran one every second or so under load, stopping the event loop for
~250 ms each time: ~15 % of the pure path's CPU and the waves of latency the bench showed
(README: Performance). Objects that live from start-up on are frozen out of the scans, and
larger thresholds make young collections rarer (each costs about the same) and full ones
minutes apart. Reference counting still frees everything acyclic at once; only cyclic
garbage waits for a collection.
"""

from __future__ import annotations

import gc
import time
from typing import Any

from prometheus_client import Histogram

PAUSE_SECONDS = Histogram(
    "brokerage_gc_pause_seconds", "Time the process stood still in a cyclic GC collection",
    ["generation"], buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5))

_started: list[float] = []
_children = [PAUSE_SECONDS.labels(str(g)) for g in range(3)]


def _timed(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _started[:] = [time.perf_counter()]
    elif _started:
        _children[info["generation"]].observe(time.perf_counter() - _started[0])


def tune(thresholds: tuple[int, int, int]) -> None:
    """Freeze what exists now (imports, settings, the app), set `thresholds` ((0, ...) turns
    the collector off: only for a process known to make no cycles), time every pause."""
    gc.collect()  # what start-up left as garbage goes now, not frozen forever
    gc.freeze()
    gc.set_threshold(*thresholds)
    if _timed not in gc.callbacks:
        gc.callbacks.append(_timed)
