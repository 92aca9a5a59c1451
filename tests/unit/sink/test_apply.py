"""The sink's pure path: inputs -> rules -> rows (ledger, fills, trades, events)."""

from __future__ import annotations

from brokerage.domain import events as ev
from brokerage.domain.refdata import load
from brokerage.domain.requests import trade_id_for
from brokerage.domain.state import MAX_CLOSED_TRADES
from brokerage.domain.types import ExecType, Side, TimeInForce
from brokerage.service.frames import Input
from connectors.sink.apply import apply_batch

from .inputs import EXECUTIONS, Log

R = load()


def ledger(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """(account, symbol, bucket, kind, amount) of each ledger row."""
    return [r[2:7] for r in rows]


def test_deposit_buy_and_fill_book_exact_movements() -> None:
    log = Log()
    log.add(ev.Deposit("d1", "alice", 1_000_000))
    log.add(ev.NewTrade("b1", "alice", Side.BUY, "AAPL", 10, limit_price=20_000))
    tid = trade_id_for("alice", "b1")
    log.add(ev.ExecutionReport("E1", "alice", tid, ExecType.NEW))
    log.add(ev.ExecutionReport("E2", "alice", tid, ExecType.TRADE, 0, 10, 19_009))
    batch = apply_batch(log.inputs, {}, R, EXECUTIONS)

    # 10 x 200.00 plus the fee on it (0.05 %, at least 1.00) is blocked; the fill pays
    # 10 x 190.09 and its fee from the block, and the rest of the block is released.
    assert ledger(batch.rows.ledger) == [
        ("cash", "", "available", "DEPOSIT", 1_000_000),
        ("cash", "", "available", "BLOCK", -200_100),
        ("cash", "", "blocked", "BLOCK", 200_100),
        ("cash", "", "blocked", "FILL", -190_090),
        ("cash", "", "blocked", "FEE", -100),
        ("shares", "AAPL", "available", "FILL", 10),
        ("cash", "", "available", "RELEASE", 9_910),
        ("cash", "", "blocked", "RELEASE", -9_910),
    ]
    assert [f[1:8] for f in batch.rows.fills] == [("E2", tid, "BUY", "AAPL", 10, 19_009, 100)]
    (trade,) = batch.rows.trades.values()
    assert trade[1] == tid and trade[9] == "FILLED" and trade[10] == 10
    assert [e[2] for e in batch.rows.events] == ["resp:d1", "resp:b1", "exec:E1", "exec:E2"]
    state, offset = batch.states["alice"]
    assert (state.cash_available, state.cash_blocked, offset) == (1_000_000 - 190_190, 0, 3)
    assert batch.next_offsets == {0: 4}


def test_sell_fill_and_withdrawal() -> None:
    log = Log()
    log.add(ev.Deposit("d1", "bob", 30, "AAPL"))
    log.add(ev.NewTrade("s1", "bob", Side.SELL, "AAPL", 20, limit_price=18_000))
    tid = trade_id_for("bob", "s1")
    log.add(ev.ExecutionReport("E1", "bob", tid, ExecType.TRADE, 0, 20, 19_000))
    log.add(ev.Withdraw("w1", "bob", 5, "AAPL"))
    rows = apply_batch(log.inputs, {}, R, EXECUTIONS).rows
    assert ledger(rows.ledger) == [
        ("shares", "AAPL", "available", "DEPOSIT", 30),
        ("shares", "AAPL", "available", "BLOCK", -20),
        ("shares", "AAPL", "blocked", "BLOCK", 20),
        ("shares", "AAPL", "blocked", "FILL", -20),
        ("cash", "", "available", "FILL", 380_000),
        ("cash", "", "available", "FEE", -190),
        ("shares", "AAPL", "available", "WITHDRAWAL", -5),
    ]


def test_a_redelivered_input_adds_no_rows() -> None:
    log = Log()
    first = log.add(ev.Deposit("d1", "carol", 5_000))
    again = Input(first.topic, 0, 1, first.key, first.value, first.headers, first.timestamp_ms)
    batch = apply_batch([first, again], {}, R, EXECUTIONS)
    assert len(batch.rows.ledger) == 1 and len(batch.rows.events) == 1
    # And in a later batch, from the stored state: still nothing.
    later = apply_batch([again], {"carol": batch.states["carol"][0]}, R, EXECUTIONS)
    assert later.rows.count() == 0 and later.states == {} and later.next_offsets == {0: 2}


def test_unusable_input_is_skipped_but_its_offset_is_passed() -> None:
    bad = Input("inputs", 0, 0, b"dave", b"\x00garbage", [], 0)
    batch = apply_batch([bad], {}, R, EXECUTIONS)
    assert (batch.unusable, batch.rows.count(), batch.next_offsets) == (1, 0, {0: 1})


def test_a_trade_evicted_as_it_closes_is_still_written_final() -> None:
    log = Log()
    log.add(ev.Deposit("d", "erin", 100_000_000))
    log.add(ev.NewTrade("old", "erin", Side.BUY, "AAPL", 5, limit_price=18_000,
                        time_in_force=TimeInForce.GTC))
    for i in range(MAX_CLOSED_TRADES):  # newer trades that close first
        log.add(ev.NewTrade(f"n{i}", "erin", Side.BUY, "MSFT", 1, limit_price=41_000))
        log.add(ev.ExecutionReport(f"F{i}", "erin", trade_id_for("erin", f"n{i}"),
                                   ExecType.TRADE, 0, 1, 41_000))
    old = trade_id_for("erin", "old")
    log.add(ev.ExecutionReport("X", "erin", old, ExecType.TRADE, 0, 5, 17_990))
    batch = apply_batch(log.inputs, {}, R, EXECUTIONS)
    assert old not in batch.states["erin"][0].trades  # the rules dropped it on closing
    row = batch.rows.trades[("erin", old)]
    assert (row[9], row[10], row[11], row[13]) == ("FILLED", 5, 89_950, 0)
    assert ("X", old) in {(f[1], f[2]) for f in batch.rows.fills}
