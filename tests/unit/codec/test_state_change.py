"""A batch's change to a trader's trades, found from what its copy touched (Trades tracks
the ids set and deleted since the copy) instead of a scan of every trade: for any sequence
of sets and deletes it is the same change as the scan finds, and applying it to the old
trades gives the new ones, order included."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from brokerage.codec import state_change as sc
from brokerage.domain.state import Trade, TraderState, Trades
from brokerage.domain.types import OrderType, Side, TimeInForce, TradeStatus

IDS = [f"t{i}" for i in range(8)]


def trade(tid: str, qty: int, status: TradeStatus = TradeStatus.NEW) -> Trade:
    return Trade(tid, f"r-{tid}", Side.BUY, "AAPL", OrderType.LIMIT, TimeInForce.DAY, qty,
                 100, 100, status=status)


ops = st.lists(st.tuples(st.sampled_from(["set", "del", "same"]), st.sampled_from(IDS),
                         st.integers(1, 3)), max_size=25)


@given(st.lists(st.sampled_from(IDS), unique=True, max_size=6), ops)
def test_the_touched_ids_give_the_change_the_scan_gives(start: list[str],
                                                        steps: list[tuple[str, str, int]]
                                                        ) -> None:
    old = TraderState("t", trades=Trades({k: trade(k, 1) for k in start}))
    new = old.copy()
    for op, k, qty in steps:
        if op == "del" and k in new.trades:
            del new.trades[k]
        elif op == "set":
            new.trades[k] = trade(k, qty, TradeStatus.FILLED if qty == 3 else TradeStatus.NEW)
        elif op == "same" and k in new.trades:
            new.trades[k] = new.trades[k]  # set, unchanged: not a change
    tracked = sc.diff(old, new)
    scanned = sc.diff(old, TraderState("t", trades=dict(new.trades)))  # a plain dict: a scan
    assert (tracked is None) == (scanned is None)
    if tracked is None or scanned is None:
        return
    assert {t.trade_id for t in tracked.trades} == {t.trade_id for t in scanned.trades}
    assert sorted(tracked.trades_deleted) == sorted(scanned.trades_deleted)
    again = old.copy()
    sc.apply(again, tracked)
    assert list(again.trades.items()) == list(new.trades.items())
    assert again.trades.closed == new.trades.closed


def test_the_touched_ids_are_used_only_against_the_trades_copied_from() -> None:
    base = Trades({"a": trade("a", 1)})
    mine = base.copy()
    mine["b"] = trade("b", 1)
    assert mine.changed_since(base) == ["b"]
    assert mine.changed_since(Trades(dict(base))) is None  # equal, but not the one copied
    assert mine.copy().changed_since(base) is None  # a copy of a copy: the scan decides
    del mine["b"]
    mine["b"] = trade("b", 2)  # deleted and set again: the order may have changed
    assert mine.changed_since(base) is None
