"""Trades: the trades dict that counts its closed trades for the open-trade limit and the
eviction of closed trades (core.apply reads the count on every new trade and every fill)."""

from __future__ import annotations

import copy
import pickle

import pytest

from brokerage.domain.state import Trade, TraderState, Trades, closed_count
from brokerage.domain.types import OrderType, Side, TimeInForce, TradeStatus


def trade(tid: str, status: TradeStatus = TradeStatus.NEW) -> Trade:
    return Trade(tid, f"r-{tid}", Side.BUY, "AAPL", OrderType.LIMIT, TimeInForce.DAY, 1, 100,
                 100, status=status)


def recount(trades: dict[str, Trade]) -> int:
    return sum(t.status.terminal for t in trades.values())


def test_setting_and_deleting_keep_the_count() -> None:
    ts = Trades({"a": trade("a"), "b": trade("b", TradeStatus.FILLED)})
    assert ts.closed == 1
    ts["a"] = trade("a", TradeStatus.CANCELED)  # closes
    ts["c"] = trade("c")
    ts["b"] = trade("b", TradeStatus.FILLED)  # closed, set again: counted once
    assert ts.closed == 2 == recount(ts)
    del ts["a"]
    assert ts.closed == 1 == recount(ts)
    with pytest.raises(KeyError):
        del ts["a"]
    assert ts.closed == 1


def test_copies_count_on_their_own() -> None:
    ts = Trades({"a": trade("a", TradeStatus.FILLED)})
    for other in (ts.copy(), copy.copy(ts), copy.deepcopy(ts), pickle.loads(pickle.dumps(ts))):
        assert isinstance(other, Trades) and other == ts and other.closed == 1
        other["b"] = trade("b", TradeStatus.EXPIRED)
        assert (other.closed, ts.closed) == (2, 1)


def test_mutators_that_would_skip_the_count_are_refused() -> None:
    ts = Trades()
    for call in (lambda: ts.update(a=trade("a")), lambda: ts.pop("a", None), ts.clear,
                 ts.popitem, lambda: ts.setdefault("a", trade("a"))):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        ts |= {"a": trade("a")}


def test_states_hold_trades_and_plain_dicts_are_still_counted() -> None:
    s = TraderState("t", trades={"a": trade("a", TradeStatus.REJECTED)})
    assert closed_count(s.trades) == 1  # a plain dict: counted by scanning
    assert isinstance(s.copy().trades, Trades) and closed_count(s.copy().trades) == 1
    assert isinstance(TraderState("u").trades, Trades)
