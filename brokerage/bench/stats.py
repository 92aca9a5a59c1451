"""Percentiles, rates and time series of the bench. Pure; times are seconds (monotonic)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (p in 0..100); nan when empty."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(latencies: Iterable[float]) -> dict[str, float]:
    """Milliseconds: count, mean, p50, p95, p99, max."""
    v = sorted(latencies)
    mean = sum(v) / len(v) if v else math.nan
    return {"count": len(v), "mean_ms": mean * 1e3,
            **{f"p{p}_ms": percentile(v, p) * 1e3 for p in (50, 95, 99)},
            "max_ms": (v[-1] if v else math.nan) * 1e3}


def align(sends: Sequence[tuple[str, float]], answers: Sequence[tuple[float, str]]
          ) -> list[tuple[float, float] | None]:
    """Per send (request id, time): (answer time, latency), or None if never answered. A
    repeated id's answers match its sends in order."""
    pending: dict[str, list[int]] = {}
    for i, (rid, _) in enumerate(sends):
        pending.setdefault(rid, []).append(i)
    out: list[tuple[float, float] | None] = [None] * len(sends)
    for t, rid in answers:
        waiting = pending.get(rid)
        if waiting:
            i = waiting.pop(0)
            out[i] = (t, t - sends[i][1])
    return out


def rate(count: int, start: float, end: float) -> float:
    return count / (end - start) if end > start and count else 0.0


def series(times: Iterable[float], t0: float, step: float = 0.5) -> list[tuple[float, float]]:
    """Events per second in consecutive `step`-second bins from t0: (bin start - t0, rate)."""
    bins: dict[int, int] = {}
    for t in times:
        if t >= t0:
            b = int((t - t0) / step)
            bins[b] = bins.get(b, 0) + 1
    if not bins:
        return []
    return [(b * step, bins.get(b, 0) / step) for b in range(max(bins) + 1)]


def cdf(latencies: Iterable[float], points: int = 200) -> list[tuple[float, float]]:
    """(latency ms, fraction at or below it), thinned to about `points` points."""
    v = sorted(latencies)
    if not v:
        return []
    step = max(1, len(v) // points)
    idx = [*range(0, len(v), step), len(v) - 1]
    return [(v[i] * 1e3, (i + 1) / len(v)) for i in idx]
