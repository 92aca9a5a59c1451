"""Latency by hop from the records' timestamps (bench/hops.py), without a broker."""

from __future__ import annotations

import math

from brokerage.bench import hops
from brokerage.bench.report import hops_md


def test_each_hop_is_the_gap_between_its_records_and_delivery_is_the_rest() -> None:
    stamps = {"a": [1_000, 1_030, 1_050], "b": [2_000, 2_010, 2_110]}
    latency = {"a": 0.060, "b": 0.125}
    got = hops.summarise(["a", "b"], latency, stamps)
    assert got["sequencer"]["count"] == 2
    assert got["sequencer"]["max_ms"] == 30.0 and got["sequencer"]["p50_ms"] == 10.0
    assert got["worker"]["max_ms"] == 100.0 and got["worker"]["p50_ms"] == 20.0
    assert math.isclose(got["delivery"]["max_ms"], 15.0)
    assert math.isclose(got["delivery"]["p50_ms"], 10.0)


def test_requests_unanswered_unseen_at_a_hop_sent_twice_or_of_other_phases_are_left_out(
) -> None:
    stamps: hops.Stamps = {"a": [1_000, 1_030, 1_050], "b": [2_000, 0, 2_110],
                           "c": [3_000, 3_001, 3_002], "d": [4_000, 4_005, 4_009], "e": None}
    latency = {"a": 0.060, "b": 0.2, "d": 0.01, "e": 0.02}  # c was never answered
    got = hops.summarise(["a", "b", "c", "e", "x"], latency, stamps)  # d: another phase
    assert {h: v["count"] for h, v in got.items()} == {h: 1 for h in hops.HOPS}
    assert got["worker"]["p99_ms"] == 20.0


def test_a_clock_step_never_makes_delivery_negative() -> None:
    got = hops.summarise(["a"], {"a": 0.010}, {"a": [1_000, 1_005, 1_020]})
    assert got["delivery"]["max_ms"] == 0.0


def test_the_markdown_has_a_row_per_measured_phase_and_skips_the_warm_up() -> None:
    h = hops.summarise(["a"], {"a": 0.06}, {"a": [1_000, 1_030, 1_050]})
    md = hops_md([{"name": "warm-up (deposits)", "hops": h},
                  {"name": "open 1,000/s", "hops": h}, {"name": "closed loop"}])
    lines = md.splitlines()
    assert lines[0].startswith("| phase | requests | sequencer p50 / p99 ms")
    assert lines[2:] == ["| open 1,000/s | 1 | 30.0 / 30.0 | 20.0 / 20.0 | 10.0 / 10.0 |"]
    assert hops_md([{"name": "closed loop"}]) == ""
