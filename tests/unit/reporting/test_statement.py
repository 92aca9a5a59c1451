"""Statements and reconciliation are computed from rows alone: opening + day = closing."""

from __future__ import annotations

from datetime import date

from brokerage.domain.state import Position, TraderState
from brokerage.reporting.reconcile import differences, live_balances
from brokerage.reporting.render import statement_json, statement_text
from brokerage.reporting.statement import Balances, Entry, FillLine, TradeLine, build

DAY = date(2025, 3, 14)


def test_balances_sum_by_bucket_and_drop_empty_holdings() -> None:
    b = Balances.of([("cash", "", "available", 500), ("cash", "", "available", -200),
                     ("cash", "", "blocked", 50), ("shares", "AAPL", "available", 3),
                     ("shares", "MSFT", "blocked", 2), ("shares", "MSFT", "blocked", -2)])
    assert b == Balances(300, 50, {"AAPL": (3, 0)})
    assert b.cash_total == 350


def test_closing_is_opening_plus_the_days_entries() -> None:
    opening = [("cash", "", "available", 100_000), ("shares", "AAPL", "available", 5)]
    day = [
        Entry("cash", "", "available", "DEPOSIT", 50_000, "d1", None, 1),
        Entry("cash", "", "available", "BLOCK", -20_100, "b1", "t.1", 2),
        Entry("cash", "", "blocked", "BLOCK", 20_100, "b1", "t.1", 2),
        Entry("cash", "", "blocked", "FILL", -19_000, "exec:E1", "t.1", 3),
        Entry("cash", "", "blocked", "FEE", -100, "exec:E1", "t.1", 3),
        Entry("shares", "AAPL", "available", "FILL", 1, "exec:E1", "t.1", 3),
        Entry("shares", "AAPL", "available", "WITHDRAWAL", -6, "w1", None, 4),
    ]
    fills = [FillLine("E1", "t.1", "BUY", "AAPL", 1, 19_000, 100, 3)]
    trades = [TradeLine("t.1", "BUY", "AAPL", "LIMIT", "DAY", 1, 20_000, "FILLED", 2)]
    st = build("ann", DAY, opening, day, trades, fills)
    assert st.opening == Balances(100_000, 0, {"AAPL": (5, 0)})
    assert st.closing == Balances(129_900, 1_000, {})
    assert (st.fees, st.bought, st.sold) == (100, 19_000, 0)
    assert [m.cause for m in st.movements] == ["d1", "w1"]

    js = statement_json(st)
    assert js["closing"]["cash"] == {"available": "1299.00", "blocked": "10.00",
                                     "total": "1309.00"}
    assert js["movements"][1] == {"kind": "WITHDRAWAL", "cause": "w1", "at_ms": 4,
                                  "symbol": "AAPL", "shares": -6}
    assert js["trades"][0]["limit_price"] == "200.00"
    assert "closing  cash 1309.00" in statement_text(st)


def test_reconcile_reports_only_real_differences() -> None:
    s = TraderState("ann", cash_available=700, cash_blocked=300,
                    positions={"AAPL": Position(4, 1), "MSFT": Position(0, 0)})
    live = {"ann": live_balances(s), "idle": Balances()}
    stored = {"ann": Balances(700, 300, {"AAPL": (4, 1)})}
    assert differences(stored, live) == []
    stored["ann"] = Balances(700, 200, {"AAPL": (4, 1), "GOOG": (1, 0)})
    stored["gone"] = Balances(5, 0, {})
    diff = differences(stored, live)
    assert diff == [
        "ann: cash 700/200 in PostgreSQL, 700/300 live (available/blocked, cents); "
        "GOOG 1/0 in PostgreSQL, 0/0 live",
        "gone: cash 5/0 in PostgreSQL, 0/0 live (available/blocked, cents)",
    ]
