"""The arrays of a state's trades, remembered requests and ids are the same bytes from the
native writers (native/: one call per array, items remembered by identity) as from the Python
ones, and both equal fastavro's; a remembered item is never served under another key."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

from brokerage.codec import state_writer as w
from brokerage.codec.compiled import NATIVE
from brokerage.codec.state import processed_to, trade_to
from brokerage.domain.events import Response
from brokerage.domain.state import Change, Fill, ProcessedRequest, Trade
from brokerage.domain.types import OrderType, RejectReason, Side, TimeInForce, TradeStatus

pytestmark = pytest.mark.skipif(NATIVE is None, reason="the native writers are not built here")
IDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)


def fastavro_array(items_schema: Any, records: list[Any]) -> bytes:
    buf = io.BytesIO()
    schemaless_writer(buf, parse_schema({"type": "array", "items": items_schema}), records)
    return buf.getvalue()


@st.composite
def trades(draw: st.DrawFn) -> Trade:
    tid = draw(IDS)
    fills = tuple(Fill(f"e{i}", draw(st.integers(1, 10**6)), draw(st.integers(1, 10**9)), i)
                  for i in range(draw(st.integers(0, 3))))
    return Trade(tid, draw(IDS), draw(st.sampled_from(Side)), "AAPL",
                 draw(st.sampled_from(OrderType)), draw(st.sampled_from(TimeInForce)),
                 draw(st.integers(1, 10**9)), draw(st.none() | st.integers(1, 10**12)),
                 draw(st.integers(0, 10**12)), status=draw(st.sampled_from(TradeStatus)),
                 fills=fills, history=(Change(1, TradeStatus.NEW, tid),))


def processed(draw: st.DrawFn) -> ProcessedRequest:
    ok = draw(st.booleans())
    return ProcessedRequest(draw(IDS), Response(
        "x", draw(IDS), ok, draw(st.none() | IDS), TradeStatus.NEW if ok else None,
        None if ok else draw(st.sampled_from(RejectReason)), draw(st.text(max_size=20))))


@settings(max_examples=80, deadline=None)
@given(st.lists(trades(), max_size=6), st.lists(IDS, max_size=20), st.data())
def test_native_arrays_equal_the_python_ones_and_fastavro(ts: list[Trade], ids: list[str],
                                                          data: st.DataObject) -> None:
    reqs = [(data.draw(IDS), processed(data.draw)) for _ in range(data.draw(st.integers(0, 5)))]
    for _ in range(2):  # the second time from the memos
        assert w.trades_array(ts) == w._trades_array(ts) == fastavro_array(
            w._TRADE, [trade_to(t) for t in ts])
        assert w.requests_array(reqs, processed_to) == w._requests_array(reqs, processed_to) \
            == fastavro_array(w._PROCESSED, [processed_to(k, p) for k, p in reqs])
        assert w.ids_array(ids) == w._ids_array(ids) == fastavro_array("string", ids)


def test_one_remembered_request_under_two_ids_gives_each_its_own_id() -> None:
    p = ProcessedRequest("f", Response("x", "r-1", True, "t-1", TradeStatus.NEW, None, ""))
    for rid in ("r-1", "r-2", "r-1"):
        assert w.requests_array([(rid, p)], processed_to) == fastavro_array(
            w._PROCESSED, [processed_to(rid, p)])


def test_an_item_that_does_not_encode_raises_and_is_not_remembered() -> None:
    with pytest.raises((TypeError, AttributeError)):
        w.trades_array([object()])
    with pytest.raises(TypeError):
        w.ids_array(["a", 7])


def test_a_memo_serves_many_threads_at_once() -> None:
    """An encoder that lets other threads run (here: sleep(0)) must not make a concurrent
    call fail or mix up entries, while the memo fills, is cleared and refills."""
    def encode(k: str, v: object) -> bytes:
        time.sleep(0)
        return w.string_bytes(f"{k}={id(v)}")

    memo = NATIVE.Memo(encode, 50)
    kept = [object() for _ in range(40)]
    errors: list[BaseException] = []

    def hammer(n: int) -> None:
        try:
            for i in range(150):
                pairs = [(f"r{n}-{j}", kept[(i + j) % len(kept)]) for j in range(5)]
                pairs.append((f"new{n}-{i}", object()))
                want = fastavro_array("string", [f"{k}={id(v)}" for k, v in pairs])
                assert memo.pairs(pairs) == want
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert 0 < len(memo) <= 50
