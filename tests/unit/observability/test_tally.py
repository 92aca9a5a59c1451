"""A Tally adds a batch's counts and observations once; the metrics must then hold exactly
what calling `.inc()` and `.observe()` per input would have left in them."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, Counter, Histogram

from brokerage.observability.metrics import Tally

BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5)
seconds = st.one_of(st.sampled_from([*BUCKETS, 0.0, float("inf"), float("nan")]),
                    st.floats(min_value=-1, max_value=10))
events = st.lists(st.one_of(st.tuples(st.just("count"), st.sampled_from(["a", "b"]),
                                      st.integers(0, 1000)),
                            st.tuples(st.just("time"), st.sampled_from(["x", "y"]), seconds)),
                  max_size=60)


def _metrics() -> tuple[CollectorRegistry, Counter, Histogram]:
    reg = CollectorRegistry()
    return (reg, Counter("c_total", "c", ["k"], registry=reg),
            Histogram("h_seconds", "h", ["k"], buckets=BUCKETS, registry=reg))


def _samples(reg: CollectorRegistry) -> list[Any]:
    """Every sample; a histogram's sum rounded (added per batch, not per value: float
    addition in another order)."""
    return sorted((s.name, sorted(s.labels.items()),
                   f"{s.value:.9g}" if s.name.endswith("_sum") else repr(s.value))
                  for m in reg.collect() for s in m.samples if not s.name.endswith("_created"))


@given(events, st.integers(1, 5))
def test_a_tally_leaves_what_direct_calls_leave(seq: list[tuple[str, str, Any]],
                                                flushes: int) -> None:
    direct, c1, h1 = _metrics()
    tallied, c2, h2 = _metrics()
    tally = Tally()
    for n, (kind, label, value) in enumerate(seq):
        if kind == "count":
            c1.labels(label).inc(value)
            tally.inc(c2.labels(label), value)
        else:
            h1.labels(label).observe(value)
            tally.observe(h2.labels(label), value)
        if n % flushes == 0:
            tally.flush()
    tally.flush()
    assert _samples(tallied) == _samples(direct)
    tally.flush()  # flushed: nothing is added twice
    assert _samples(tallied) == _samples(direct)
