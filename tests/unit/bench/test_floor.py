"""The topology floor's pure parts: its frames, its steady shares, its shape (from the bench's
mix and our run's counts) and its place in the result."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from brokerage.bench import mix, results
from brokerage.bench.floor_parts import Shape, Share, pack, unpack
from brokerage.bench.floor_run import shape_of
from brokerage.domain import refdata

RD = refdata.load()
items = st.lists(st.tuples(st.integers(0, 1), st.binary(max_size=300),
                           st.binary(max_size=3000)), max_size=50)


@given(items)
def test_a_frame_gives_back_its_items_in_order(msgs: list[tuple[int, bytes, bytes]]) -> None:
    assert unpack(pack(msgs)) == msgs


@given(st.floats(0.0, 5.0), st.integers(0, 2_000))
def test_a_share_adds_up_to_its_rate(rate: float, n: int) -> None:
    share = Share(rate)
    total = sum(share.take() for _ in range(n))
    assert int(rate * n) - 1 <= total <= rate * n + 1e-6


def test_a_shape_crosses_the_command_line_unchanged() -> None:
    shape = Shape(0.812, 101, 93, 944, 1.857, 72)
    assert Shape.parse(shape.argv()) == shape


def test_the_shape_is_measured_on_the_mix_and_takes_our_runs_ratios() -> None:
    work = mix.build(3_000, 100, RD, seed=3)
    own = shape_of(work, RD, None)
    assert 0.5 < own.orders_per_request <= 1.0  # most of the mix books a trade
    assert own.order_bytes > 50 and own.update_bytes > 50 and own.state_bytes > 100
    ran = shape_of(work, RD, {"requests": 1_000, "orders": 800, "executions": 1_200})
    assert (ran.orders_per_request, ran.reports_per_order) == (0.8, 1.5)
    assert ran.order_bytes == own.order_bytes


def _phase(name: str, validated: float, settled: float) -> dict[str, object]:
    return {"name": name, "mode": "closed", "validated_per_s": validated,
            "settled_per_s": settled, "latency": {"p99_ms": 10.0}}


def test_the_result_holds_the_floor_and_our_ratio_to_it() -> None:
    ours = {"phases": [_phase("closed loop", 5_000.0, 1_000.0)]}
    floor = {"phases": [_phase("floor warm-up", 1.0, 0.0),
                        _phase("floor closed loop", 40_000.0, 12_000.0)]}
    doc = results.document("t", {}, {}, {}, ours, {"phases": []}, {}, None, floor)
    s = doc["summary"]
    assert (s["floor_per_s"], s["floor_settled_per_s"]) == (40_000.0, 12_000.0)
    assert s["ratio_vs_floor"] == 5_000.0 / 40_000.0
    assert doc["floor"] is floor and results.missing(doc) == []
    skipped = results.document("t", {}, {}, {}, ours, {"phases": []}, {}, None,
                               {"skipped": "--skip-floor"})
    assert skipped["summary"]["floor_per_s"] is None
