"""The bench's arithmetic: nearest-rank percentiles, matching answers to sends (repeated ids
in order, unanswered ones counted), per-second series and the CDF."""

from __future__ import annotations

import math

from brokerage.bench import stats


def test_percentile_is_nearest_rank() -> None:
    v = [float(x) for x in range(1, 101)]
    assert stats.percentile(v, 50) == 50
    assert stats.percentile(v, 99) == 99
    assert stats.percentile(v, 100) == 100
    assert stats.percentile([7.0], 99) == 7
    assert math.isnan(stats.percentile([], 50))


def test_latency_summary_in_milliseconds() -> None:
    s = stats.latency_summary([0.001, 0.002, 0.003, 0.100])
    assert s["count"] == 4
    assert s["p50_ms"] == 2.0
    assert s["max_ms"] == 100.0
    assert abs(s["mean_ms"] - 26.5) < 1e-9
    assert math.isnan(stats.latency_summary([])["p99_ms"])


def test_align_matches_repeated_ids_in_order_and_leaves_unanswered() -> None:
    sends = [("a", 1.0), ("b", 1.5), ("a", 2.0), ("c", 3.0)]
    answers = [(1.25, "a"), (2.5, "a"), (2.0, "b"), (9.0, "unknown")]
    out = stats.align(sends, answers)
    assert out[0] == (1.25, 0.25)
    assert out[2] == (2.5, 0.5)
    assert out[1] == (2.0, 0.5)
    assert out[3] is None


def test_series_counts_per_second_in_bins() -> None:
    times = [10.0, 10.1, 10.2, 10.6, 11.9]
    assert stats.series(times, 10.0, 0.5) == [(0.0, 6.0), (0.5, 2.0), (1.0, 0.0), (1.5, 2.0)]
    assert stats.series([], 10.0) == []


def test_rate_and_cdf() -> None:
    assert stats.rate(100, 1.0, 3.0) == 50
    assert stats.rate(0, 1.0, 3.0) == 0
    assert stats.rate(5, 3.0, 3.0) == 0
    c = stats.cdf([0.003, 0.001, 0.002])
    assert c[0] == (1.0, 1 / 3)
    assert c[-1] == (3.0, 1.0)
