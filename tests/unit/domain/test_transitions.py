"""The order state machine, table-driven: from each status, each execution report gives the
expected status, or an Anomaly with the state unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from brokerage.domain import core, refdata
from brokerage.domain.events import (
    AmendTrade,
    Anomaly,
    CancelTrade,
    Deposit,
    EndOfDay,
    Event,
    ExecutionReport,
    NewTrade,
    OrderCommand,
    Output,
    Response,
    TradeUpdate,
)
from brokerage.domain.state import TraderState
from brokerage.domain.types import (
    AnomalyReason,
    ExecType,
    OrderAction,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
    TradeStatus,
)

RD = refdata.load()
T = "T1"
S = TradeStatus
E = ExecType
PRICE = 19_000


class Book:
    def __init__(self, side: Side) -> None:
        self.state = TraderState(T)
        self.side = side
        self.n = 0
        self.send(Deposit("cash", T, 10**8))
        self.send(Deposit("shares", T, 1_000, "AAPL"))

    def send(self, event: Event) -> list[Output]:
        self.state, out = core.apply(self.state, event, RD)
        return out

    def place(self, qty: int = 10, tif: TimeInForce = TimeInForce.DAY) -> str:
        out = self.send(NewTrade(f"n{qty}{tif}", T, self.side, "AAPL", qty, OrderType.LIMIT,
                                 PRICE, tif))
        assert isinstance(out[0], Response) and out[0].accepted, out
        assert out[0].trade_id
        return out[0].trade_id

    def rep(self, tid: str, kind: ExecType, qty: int = 0, price: int = 0) -> ExecutionReport:
        self.n += 1
        return ExecutionReport(f"x{self.n}", T, tid, kind, 0, qty, price)

    def do(self, tid: str, kind: ExecType, qty: int = 0, price: int = 0) -> TradeUpdate:
        out = self.send(self.rep(tid, kind, qty, price))
        assert len(out) == 1 and isinstance(out[0], TradeUpdate), out
        return out[0]

    def change(self, tid: str, qty: int | None = None) -> None:
        req = CancelTrade(f"c{self.n}", T, tid) if qty is None else AmendTrade(
            f"a{self.n}", T, tid, qty)
        self.n += 1
        out = self.send(req)
        assert isinstance(out[0], Response) and out[0].accepted, out


# How to bring a trade (10 AAPL at 190.00) into each status: from -> setup steps.
Setup = Callable[[Book, str], None]
SETUPS: dict[str, Setup] = {
    "PENDING_NEW": lambda b, t: None,
    "NEW": lambda b, t: (b.do(t, E.NEW), None)[1],
    "PARTIALLY_FILLED": lambda b, t: (b.do(t, E.NEW), b.do(t, E.TRADE, 4, PRICE), None)[2],
    "PENDING_CANCEL": lambda b, t: (b.do(t, E.NEW), b.change(t))[1],
    "PENDING_CANCEL<-PENDING_NEW": lambda b, t: b.change(t),
    "PENDING_CANCEL<-PARTIALLY_FILLED": lambda b, t: (
        b.do(t, E.NEW), b.do(t, E.TRADE, 4, PRICE), b.change(t))[2],
    "PENDING_REPLACE": lambda b, t: (b.do(t, E.NEW), b.change(t, 12))[1],
    "PENDING_REPLACE<-PENDING_NEW": lambda b, t: b.change(t, 12),
    "PENDING_REPLACE<-PARTIALLY_FILLED": lambda b, t: (
        b.do(t, E.NEW), b.do(t, E.TRADE, 4, PRICE), b.change(t, 12))[2],
    "FILLED": lambda b, t: (b.do(t, E.NEW), b.do(t, E.TRADE, 10, PRICE), None)[2],
    "CANCELED": lambda b, t: (b.do(t, E.NEW), b.change(t), b.do(t, E.CANCELED), None)[3],
    "REJECTED": lambda b, t: (b.do(t, E.REJECTED), None)[1],
    "EXPIRED": lambda b, t: (b.do(t, E.NEW), b.do(t, E.EXPIRED), None)[2],
}

# Reports: "TRADE" fills 2, "TRADE_ALL" fills whatever is left of the larger quantity.
REPORTS = ["NEW", "TRADE", "TRADE_ALL", "CANCELED", "REPLACED", "REJECTED", "CANCEL_REJECTED",
           "REPLACE_REJECTED", "EXPIRED"]

X = None  # an Anomaly, state unchanged
IG = "ignored"  # no output at all, state unchanged
PC, PR, PF = S.PENDING_CANCEL, S.PENDING_REPLACE, S.PARTIALLY_FILLED
TABLE: dict[str, list[TradeStatus | str | None]] = {
    # from                               NEW  TRADE TRADE_ALL CANCELED REPLACED REJECTED
    #                                    CANCEL_REJ REPLACE_REJ EXPIRED
    "PENDING_NEW":                       [S.NEW, PF, S.FILLED, S.CANCELED, X, S.REJECTED,
                                          X, X, S.EXPIRED],
    "NEW":                               [X, PF, S.FILLED, S.CANCELED, X, X,
                                          X, X, S.EXPIRED],
    "PARTIALLY_FILLED":                  [X, PF, S.FILLED, S.CANCELED, X, X,
                                          X, X, S.EXPIRED],
    "PENDING_CANCEL":                    [X, PC, S.FILLED, S.CANCELED, X, X,
                                          S.NEW, X, S.EXPIRED],
    "PENDING_CANCEL<-PENDING_NEW":       [PC, PC, S.FILLED, S.CANCELED, X, S.REJECTED,
                                          S.PENDING_NEW, X, S.EXPIRED],
    "PENDING_CANCEL<-PARTIALLY_FILLED":  [X, PC, S.FILLED, S.CANCELED, X, X,
                                          PF, X, S.EXPIRED],
    "PENDING_REPLACE":                   [X, PR, S.FILLED, S.CANCELED, S.NEW, X,
                                          X, S.NEW, S.EXPIRED],
    "PENDING_REPLACE<-PENDING_NEW":      [PR, PR, S.FILLED, S.CANCELED, S.NEW, S.REJECTED,
                                          X, S.PENDING_NEW, S.EXPIRED],
    "PENDING_REPLACE<-PARTIALLY_FILLED": [X, PR, S.FILLED, S.CANCELED, PF, X,
                                          X, PF, S.EXPIRED],
    # A fill or an expiry can overtake our cancel or amend: its refusal then changes nothing
    # and is no anomaly.
    "FILLED":                            [X, X, X, X, X, X, IG, IG, X],
    "CANCELED":                          [X, X, X, X, X, X, IG, IG, X],
    "REJECTED":                          [X, X, X, X, X, X, IG, IG, X],
    "EXPIRED":                           [X, X, X, X, X, X, IG, IG, X],
}
CASES = [(start, report, expected) for start, row in TABLE.items()
         for report, expected in zip(REPORTS, row, strict=True)]


def test_the_table_covers_every_status_and_report() -> None:
    assert set(SETUPS) == set(TABLE)
    assert {s.split("<-")[0] for s in TABLE} == {s.value for s in TradeStatus}
    assert {r.removesuffix("_ALL") for r in REPORTS} == {e.value for e in ExecType}


def check_blocks(state: TraderState) -> None:
    open_trades = [t for t in state.trades.values() if not t.status.terminal]
    assert state.cash_blocked == sum(t.blocked_cash for t in open_trades)
    assert state.position("AAPL").blocked == sum(t.blocked_shares for t in open_trades)
    for t in state.trades.values():
        if t.status.terminal:
            assert t.blocked_cash == 0 and t.blocked_shares == 0, t


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
@pytest.mark.parametrize(("start", "report", "expected"), CASES,
                         ids=[f"{s}-{r}" for s, r, _ in CASES])
def test_transition(side: Side, start: str, report: str,
                    expected: TradeStatus | str | None) -> None:
    book = Book(side)
    tid = book.place()
    SETUPS[start](book, tid)
    trade = book.state.trades[tid]
    assert trade.status.value == start.split("<-")[0]
    if "<-" in start:
        assert trade.prior_status is TradeStatus(start.split("<-")[1])

    qty = price = 0
    if report.startswith("TRADE"):
        most = max(trade.quantity, trade.pending_qty or 0) - trade.cum_qty
        qty, price = (2 if report == "TRADE" else max(most, 1)), PRICE
    rep = book.rep(tid, ExecType(report.removesuffix("_ALL")), qty, price)
    before = book.state
    after, out = core.apply(before, rep, RD)

    if expected == IG:
        assert after is before and out == []
        return
    if expected is None:
        assert after is before, "an anomaly must leave the state as it was"
        assert len(out) == 1 and isinstance(out[0], Anomaly), out
        assert out[0].reason is AnomalyReason.ILLEGAL_TRANSITION
        assert out[0].exec_id == rep.exec_id and tid in out[0].detail
        assert rep.exec_id not in after.exec_ids
        return
    assert len(out) == 1 and isinstance(out[0], TradeUpdate), out
    assert isinstance(expected, TradeStatus)
    update, trade = out[0], after.trades[tid]
    assert trade.status is expected and update.status is expected
    assert update.exec_id == rep.exec_id and update.cum_qty == trade.cum_qty
    assert rep.exec_id in after.exec_ids
    if not expected.pending_change:
        assert trade.prior_status is None and trade.change_request_id is None
        assert trade.pending_qty is None and trade.pending_price is None
    check_blocks(after)
    # The same report again is ignored.
    assert core.apply(after, rep, RD) == (after, [])


# ---------------------------------------------------------------- fills that are refused

def working(side: Side = Side.BUY) -> tuple[Book, str]:
    book = Book(side)
    tid = book.place()
    book.do(tid, E.NEW)
    return book, tid


@pytest.mark.parametrize(("side", "qty", "price", "reason"), [
    (Side.BUY, 11, PRICE, AnomalyReason.OVERFILL),
    (Side.BUY, 0, PRICE, AnomalyReason.OVERFILL),
    (Side.BUY, -1, PRICE, AnomalyReason.OVERFILL),
    (Side.BUY, 5, PRICE + 1, AnomalyReason.FILL_OUTSIDE_LIMIT),
    (Side.BUY, 5, 0, AnomalyReason.FILL_OUTSIDE_LIMIT),
    (Side.BUY, 5, -PRICE, AnomalyReason.FILL_OUTSIDE_LIMIT),
    (Side.SELL, 11, PRICE, AnomalyReason.OVERFILL),
    (Side.SELL, 5, PRICE - 1, AnomalyReason.FILL_OUTSIDE_LIMIT),
    (Side.SELL, 5, 0, AnomalyReason.FILL_OUTSIDE_LIMIT),
])
def test_refused_fill(side: Side, qty: int, price: int, reason: AnomalyReason) -> None:
    book, tid = working(side)
    before = book.state
    after, out = core.apply(before, book.rep(tid, E.TRADE, qty, price), RD)
    assert after is before
    assert len(out) == 1 and isinstance(out[0], Anomaly) and out[0].reason is reason, out


@pytest.mark.parametrize(("side", "price"), [(Side.BUY, PRICE), (Side.BUY, 1),
                                             (Side.SELL, PRICE), (Side.SELL, 10**6)])
def test_fill_at_or_better_than_the_limit(side: Side, price: int) -> None:
    book, tid = working(side)
    update = book.do(tid, E.TRADE, 10, price)
    assert update.status is S.FILLED and update.last_price == price


def test_report_for_an_unknown_trade() -> None:
    book, _ = working()
    before = book.state
    after, out = core.apply(before, book.rep(f"{T}.0000000000000000", E.TRADE, 1, PRICE), RD)
    assert after is before
    assert len(out) == 1 and isinstance(out[0], Anomaly)
    assert out[0].reason is AnomalyReason.UNKNOWN_TRADE


# ---------------------------------------------------------------- replace races

def test_fills_while_a_replace_is_pending_may_use_either_order() -> None:
    book, tid = working()
    book.change(tid, 12)  # 10 -> 12
    assert book.do(tid, E.TRADE, 10, PRICE).status is S.PENDING_REPLACE  # the old order's 10
    assert book.do(tid, E.TRADE, 2, PRICE).status is S.FILLED  # up to the new 12
    check_blocks(book.state)


def test_replace_rejected_after_the_old_quantity_filled() -> None:
    book, tid = working()
    book.change(tid, 12)
    book.do(tid, E.TRADE, 10, PRICE)
    assert book.do(tid, E.REPLACE_REJECTED).status is S.FILLED
    assert book.state.trades[tid].quantity == 10
    check_blocks(book.state)


def test_replaced_below_what_filled_meanwhile() -> None:
    book, tid = working()
    book.change(tid, 5)  # 10 -> 5, but 7 fill on the old order first
    assert book.do(tid, E.TRADE, 7, PRICE).status is S.PENDING_REPLACE
    update = book.do(tid, E.REPLACED)
    assert update.status is S.FILLED and update.cum_qty == 7
    check_blocks(book.state)


def test_replaced_bumps_the_version_and_the_order_id() -> None:
    book, tid = working()
    old = book.state.trades[tid]
    book.change(tid, 12)
    book.do(tid, E.REPLACED)
    new = book.state.trades[tid]
    assert (new.quantity, new.version) == (12, old.version + 1)
    assert new.order_id != old.order_id


def amend_tif(book: Book, tid: str, tif: TimeInForce, qty: int | None = None) -> list[Output]:
    book.n += 1
    out = book.send(AmendTrade(f"t{book.n}", T, tid, qty, time_in_force=tif))
    assert isinstance(out[0], Response) and out[0].accepted, out
    return out


def test_time_in_force_change_rides_the_replace_to_the_exchange() -> None:
    book, tid = working()
    [_, order] = amend_tif(book, tid, TimeInForce.GTC)
    assert isinstance(order, OrderCommand) and order.action is OrderAction.REPLACE
    assert (order.time_in_force, order.new_time_in_force) == (TimeInForce.GTC, TimeInForce.GTC)
    assert (order.quantity, order.limit_price) == (10, PRICE)  # the rest is unchanged
    pending = book.state.trades[tid]
    assert (pending.time_in_force, pending.pending_time_in_force) == (
        TimeInForce.DAY, TimeInForce.GTC)  # the old terms hold until the exchange confirms
    update = book.do(tid, E.REPLACED)
    done = book.state.trades[tid]
    assert (done.time_in_force, done.pending_time_in_force, done.version) == (
        TimeInForce.GTC, None, 1)
    assert update.order_id == done.order_id == order.order_id
    check_blocks(book.state)


def test_a_refused_time_in_force_change_keeps_the_old_one() -> None:
    book, tid = working()
    amend_tif(book, tid, TimeInForce.GTC, qty=12)
    book.do(tid, E.REPLACE_REJECTED)
    t = book.state.trades[tid]
    assert (t.time_in_force, t.pending_time_in_force, t.quantity) == (TimeInForce.DAY, None, 10)
    check_blocks(book.state)


def test_a_replace_that_keeps_the_time_in_force_says_so() -> None:
    book, tid = working()
    book.n += 1
    out = book.send(AmendTrade(f"k{book.n}", T, tid, 12, time_in_force=TimeInForce.DAY))
    order = out[1]
    assert isinstance(order, OrderCommand)
    assert (order.time_in_force, order.new_time_in_force) == (TimeInForce.DAY, None)
    assert book.state.trades[tid].pending_time_in_force is None


def test_replaced_versions_are_remembered_as_they_were() -> None:
    book, tid = working()
    book.do(tid, E.TRADE, 3, PRICE)
    first = book.state.trades[tid]
    amend_tif(book, tid, TimeInForce.GTC, qty=12)
    book.do(tid, E.REPLACED)
    amend_tif(book, tid, TimeInForce.DAY)
    book.do(tid, E.REPLACED)
    t = book.state.trades[tid]
    v0, v1 = t.superseded
    assert (v0.order_id, v0.request_id, v0.quantity, v0.time_in_force, v0.cum_qty) == (
        first.order_id, first.request_id, 10, TimeInForce.DAY, 3)
    assert (v1.order_id, v1.request_id, v1.quantity, v1.time_in_force) == (
        f"{tid}:r1", v0.replaced_by, 12, TimeInForce.GTC)
    assert (t.order_id, t.quantity, t.time_in_force, t.version) == (
        f"{tid}:r2", 12, TimeInForce.DAY, 2)


def test_a_redelivered_time_in_force_amend_is_a_retry_and_a_changed_one_is_not() -> None:
    book, tid = working()
    req = AmendTrade("same", T, tid, time_in_force=TimeInForce.GTC)
    first = book.send(req)
    assert book.send(req) == first  # the stored answer and the same command again
    other = book.send(AmendTrade("same", T, tid))  # the same id, another body
    assert isinstance(other[0], Response) and other[0].reason is RejectReason.DUPLICATE_REQUEST


def test_cancel_refused_then_cancel_again() -> None:
    book, tid = working()
    book.change(tid)
    assert book.do(tid, E.CANCEL_REJECTED).status is S.NEW
    book.change(tid)
    assert book.do(tid, E.CANCELED).status is S.CANCELED


# ---------------------------------------------------------------- end of day

def test_end_of_day_expires_open_day_trades_only() -> None:
    book = Book(Side.BUY)
    day = book.place(1)
    gtc = book.place(2, TimeInForce.GTC)
    ioc = book.place(3, TimeInForce.IOC)
    pending = book.place(4)
    book.do(pending, E.NEW)
    book.change(pending, 5)
    done = book.place(5)
    book.do(done, E.TRADE, 5, PRICE)
    out = book.send(EndOfDay(T, "2024-01-02"))
    trades = book.state.trades
    assert {u.trade_id for u in out if isinstance(u, TradeUpdate)} == {day, pending}
    assert trades[day].status is S.EXPIRED and trades[pending].status is S.EXPIRED
    assert trades[pending].pending_qty is None
    assert trades[gtc].status is S.PENDING_NEW and trades[ioc].status is S.PENDING_NEW
    assert trades[done].status is S.FILLED
    check_blocks(book.state)
    state = book.state
    assert book.send(EndOfDay(T, "2024-01-02")) == [] and book.state is state


def test_an_amend_without_time_in_force_keeps_its_old_fingerprint() -> None:
    """States remember amends booked before the field existed by this fingerprint: a
    redelivery of one must still be recognised as a retry."""
    legacy = ("AmendTrade(request_id='a1', trader_id='T1', trade_id='T1.00', quantity=5, "
              "limit_price=None, at_ms=0)")
    want = hashlib.blake2b(legacy.encode(), digest_size=12).hexdigest()
    assert core.fingerprint(AmendTrade("a1", T, "T1.00", 5, at_ms=123)) == want
    assert core.fingerprint(AmendTrade("a1", T, "T1.00", 5, time_in_force=TimeInForce.GTC)) != want
