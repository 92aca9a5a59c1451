"""W3C traceparent: made, parsed, refused when malformed, carried in headers of either shape."""

from __future__ import annotations

import re

import pytest

from brokerage.observability import trace


def test_new_context_round_trips_through_the_header() -> None:
    ctx = trace.new()
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", ctx.traceparent)
    assert trace.parse(ctx.traceparent) == ctx
    assert trace.parse(ctx.traceparent.encode()) == ctx


def test_a_child_keeps_the_trace_and_takes_a_span_of_its_own() -> None:
    ctx = trace.new()
    child = ctx.child()
    assert child.trace_id == ctx.trace_id and child.span_id != ctx.span_id


@pytest.mark.parametrize("value", [
    None, "", "garbage", "01-" + "a" * 32 + "-" + "b" * 16 + "-01",  # unknown version
    "00-" + "0" * 32 + "-" + "b" * 16 + "-01",  # all-zero trace id
    "00-" + "a" * 32 + "-" + "0" * 16 + "-01",  # all-zero span id
    "00-" + "A" * 32 + "-" + "b" * 16 + "-01",  # upper case
    "00-" + "a" * 31 + "-" + "b" * 16 + "-01",
])
def test_malformed_values_start_no_trace(value: str | None) -> None:
    assert trace.parse(value) is None


def test_found_in_kafka_pairs_dicts_and_http_headers() -> None:
    ctx = trace.new()
    assert trace.from_headers([("src.topic", b"x"), trace.header(ctx)]) == ctx
    assert trace.from_headers({"traceparent": ctx.traceparent.encode()}) == ctx
    assert trace.from_headers({"Traceparent": ctx.traceparent}) == ctx
    assert trace.from_headers(None) is None and trace.from_headers([]) is None
    assert trace.carried([("src.topic", b"x"), trace.header(ctx)]) == [trace.header(ctx)]
    assert trace.carried([("src.topic", b"x")]) == []


def test_bound_fields_nest_and_are_restored() -> None:
    ctx = trace.new()
    assert trace.fields() == {}
    with trace.bound(ctx, trader_id="alice"):
        assert trace.current() == ctx
        with trace.bound(None, trade_id="alice.1", request_id=None):
            assert trace.fields() == {"trace_id": ctx.trace_id, "span_id": ctx.span_id,
                                      "trader_id": "alice", "trade_id": "alice.1"}
        assert "trade_id" not in trace.fields()
    assert trace.fields() == {} and trace.current() is None
