"""Every reason the rules refuse a request for, and that a refusal blocks and changes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from brokerage.domain import core, refdata
from brokerage.domain.events import (
    AmendTrade,
    CancelTrade,
    Deposit,
    EndOfDay,
    Event,
    ExecutionReport,
    NewTrade,
    OrderCommand,
    Output,
    Request,
    Response,
    Withdraw,
)
from brokerage.domain.state import TraderState
from brokerage.domain.types import ExecType, OrderType, RejectReason, Side, TimeInForce

RD = refdata.load()
T = "T1"
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET = OrderType.LIMIT, OrderType.MARKET
R = RejectReason

# The domain never produces this one: it is the connector's word for an exchange refusal.
NOT_FROM_THE_DOMAIN = {R.EXCHANGE_REJECTED}


class Book:
    """Drives one trader's state through `core.apply`."""

    def __init__(self, cash: int = 0, rd: refdata.RefData = RD, **shares: int) -> None:
        self.state = TraderState(T)
        self.rd = rd
        self.n = 0
        if cash:
            self.ok(Deposit(self.rid(), T, cash))
        for sym, qty in shares.items():
            self.ok(Deposit(self.rid(), T, qty, sym))

    def rid(self) -> str:
        self.n += 1
        return f"r{self.n}"

    def send(self, event: Event) -> list[Output]:
        self.state, out = core.apply(self.state, event, self.rd)
        return out

    def ok(self, req: Request) -> Response:
        out = self.send(req)
        assert isinstance(out[0], Response) and out[0].accepted, out
        return out[0]

    def place(self, side: Side = BUY, symbol: str = "AAPL", qty: int = 10,
              price: int | None = 19_000, order_type: OrderType = LIMIT,
              tif: TimeInForce = TimeInForce.DAY) -> str:
        resp = self.ok(NewTrade(self.rid(), T, side, symbol, qty, order_type, price, tif))
        assert resp.trade_id is not None
        return resp.trade_id

    def report(self, trade_id: str, kind: ExecType, qty: int = 0, price: int = 0) -> None:
        self.n += 1
        out = self.send(ExecutionReport(f"x{self.n}", T, trade_id, kind, 0, qty, price))
        assert out and type(out[0]).__name__ == "TradeUpdate", out

    def refused(self, req: Request, reason: RejectReason) -> Response:
        """`req` is refused for `reason`; nothing is blocked, released or booked."""
        before = self.state
        new, out = core.apply(before, req, self.rd)
        assert len(out) == 1, out
        resp = out[0]
        assert isinstance(resp, Response) and not isinstance(resp, OrderCommand)
        assert not resp.accepted and resp.reason is reason, resp
        assert resp.request_id == req.request_id and resp.trader_id == T
        assert resp.message, "a refusal says why"
        assert new.cash_available == before.cash_available
        assert new.cash_blocked == before.cash_blocked
        assert new.positions == before.positions
        assert new.trades == before.trades
        assert new.totals == before.totals and new.share_totals == before.share_totals
        if reason is R.DUPLICATE_REQUEST and req.request_id in before.requests:
            assert new is before  # not even remembered: the first body keeps its answer
        else:
            assert new.requests[req.request_id].response == resp  # remembered
            again, out2 = core.apply(new, req, self.rd)  # and answered the same way again
            assert again is new and out2 == [resp]
        self.state = new
        return resp


def new(side: Side = BUY, symbol: str = "AAPL", qty: int = 10, price: int | None = 19_000,
        order_type: OrderType = LIMIT, rid: str = "n1") -> NewTrade:
    return NewTrade(rid, T, side, symbol, qty, order_type, price)


# ---------------------------------------------------------------- new trades

NEW_TRADE_CASES = [
    ("unknown symbol", new(symbol="ZZZ"), R.UNKNOWN_SYMBOL),
    ("unknown symbol before bad quantity", new(symbol="ZZZ", qty=0), R.UNKNOWN_SYMBOL),
    ("zero quantity", new(qty=0), R.INVALID_QUANTITY),
    ("negative quantity", new(qty=-5), R.INVALID_QUANTITY),
    ("off lot", new(symbol="BRK", qty=15, price=45_000), R.INVALID_QUANTITY),
    ("over max quantity", new(qty=RD.max_quantity + 1, price=1), R.INVALID_QUANTITY),
    ("zero price", new(price=0), R.INVALID_PRICE),
    ("negative price", new(price=-19_000), R.INVALID_PRICE),
    ("off tick", new(symbol="TSLA", price=25_003), R.INVALID_PRICE),
    ("over max price", new(qty=1, price=RD.max_price_minor + 1), R.INVALID_PRICE),
    ("market with a price", new(order_type=MARKET, price=19_000), R.INVALID_PRICE),
    ("limit without a price", new(price=None), R.INVALID_PRICE),
    ("notional over the limit", new(qty=100_000, price=10_001), R.NOTIONAL_LIMIT),
    ("market notional at the collar", new(qty=60_000, order_type=MARKET, price=None),
     R.NOTIONAL_LIMIT),
    ("market without a reference price", new(symbol="NEWCO", qty=100, order_type=MARKET,
                                             price=None), R.NO_REFERENCE_PRICE),
    ("buy without cash", new(), R.INSUFFICIENT_FUNDS),
    ("notional exactly at the limit is fine, but unfunded", new(qty=100_000, price=10_000),
     R.INSUFFICIENT_FUNDS),
    ("market buy without cash", new(order_type=MARKET, price=None), R.INSUFFICIENT_FUNDS),
    ("sell without shares", new(side=SELL), R.INSUFFICIENT_SHARES),
    ("market sell without shares", new(side=SELL, order_type=MARKET, price=None),
     R.INSUFFICIENT_SHARES),
]


@pytest.mark.parametrize(("req", "reason"), [c[1:] for c in NEW_TRADE_CASES],
                         ids=[c[0] for c in NEW_TRADE_CASES])
def test_new_trade_refused(req: NewTrade, reason: RejectReason) -> None:
    Book().refused(req, reason)


def test_buy_needs_the_notional_plus_the_fee_to_the_unit() -> None:
    cost = 10 * 19_000 + RD.fee(10 * 19_000)
    Book(cash=cost - 1).refused(new(), R.INSUFFICIENT_FUNDS)
    book = Book(cash=cost)
    book.ok(new())
    assert book.state.cash_available == 0 and book.state.cash_blocked == cost


def test_sell_needs_the_shares_to_the_unit() -> None:
    Book(AAPL=9).refused(new(side=SELL), R.INSUFFICIENT_SHARES)
    book = Book(AAPL=10)
    book.ok(new(side=SELL))
    assert book.state.position("AAPL").available == 0


def test_blocked_funds_are_not_available_to_the_next_trade() -> None:
    book = Book(cash=10 * 19_000 + RD.fee(10 * 19_000))
    book.place()
    book.refused(new(qty=1, rid="n2"), R.INSUFFICIENT_FUNDS)
    book = Book(AAPL=10)
    book.place(side=SELL)
    book.refused(new(side=SELL, qty=1, rid="n2"), R.INSUFFICIENT_SHARES)


def test_too_many_open_trades() -> None:
    book = Book(cash=10**7, rd=replace(RD, max_open_trades=2))
    first = book.place(qty=1)
    book.place(qty=2)
    book.refused(new(qty=3, rid="n3"), R.TOO_MANY_OPEN_TRADES)
    book.report(first, ExecType.TRADE, 1, 19_000)  # a closed trade frees a place
    book.place(qty=3)


# ---------------------------------------------------------------- amend and cancel

def working_buy(cash: int = 10_000_000) -> tuple[Book, str]:
    book = Book(cash=cash)
    tid = book.place()
    book.report(tid, ExecType.NEW)
    return book, tid


def amend(tid: str, qty: int | None = None, price: int | None = None) -> AmendTrade:
    return AmendTrade("a1", T, tid, qty, price)


@pytest.mark.parametrize(("qty", "price", "reason"), [
    (None, None, R.MALFORMED),  # nothing asked
    (10, None, R.MALFORMED),  # the same quantity
    (None, 19_000, R.MALFORMED),  # the same price
    (10, 19_000, R.MALFORMED),  # both the same
    (0, None, R.INVALID_QUANTITY),
    (-10, None, R.INVALID_QUANTITY),
    (RD.max_quantity + 1, None, R.INVALID_QUANTITY),
    (None, 0, R.INVALID_PRICE),
    (None, -1, R.INVALID_PRICE),
    (None, RD.max_price_minor + 1, R.INVALID_PRICE),
    (100_000, None, R.NOTIONAL_LIMIT),  # 100,000 x 190.00 > 10,000,000.00
    (11, 100_000_000, R.NOTIONAL_LIMIT),
    (None, 100_000_000, R.INSUFFICIENT_FUNDS),  # 10 x 1,000,000.00: at the limit, not over
])
def test_amend_refused(qty: int | None, price: int | None, reason: RejectReason) -> None:
    book, tid = working_buy()
    book.refused(amend(tid, qty, price), reason)


def test_amend_off_lot_and_off_tick() -> None:
    book = Book(cash=10**8)
    tid = book.place(symbol="BRK", qty=10, price=45_000)
    book.refused(amend(tid, qty=15), R.INVALID_QUANTITY)
    book.refused(replace(amend(tid, price=45_050), request_id="a2"), R.INVALID_PRICE)
    tid = book.place(symbol="TSLA", qty=1, price=25_000)
    book.refused(replace(amend(tid, price=25_001), request_id="a3"), R.INVALID_PRICE)


def test_amend_price_of_a_market_order() -> None:
    book = Book(cash=10**7)
    tid = book.place(order_type=MARKET, price=None)
    book.refused(amend(tid, price=19_000), R.INVALID_PRICE)


DAY, GTC, IOC, FOK = (TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK)


@pytest.mark.parametrize(("placed", "order_type", "wanted", "reason"), [
    (DAY, LIMIT, DAY, R.MALFORMED),  # the time in force it already has: nothing changes
    (GTC, LIMIT, GTC, R.MALFORMED),
    (DAY, LIMIT, IOC, R.INVALID_TIME_IN_FORCE),  # a resting order made IOC/FOK: cancel it
    (GTC, LIMIT, FOK, R.INVALID_TIME_IN_FORCE),
    (IOC, LIMIT, DAY, R.INVALID_TIME_IN_FORCE),  # IOC/FOK never rest
    (FOK, LIMIT, GTC, R.INVALID_TIME_IN_FORCE),
    (DAY, MARKET, GTC, R.INVALID_TIME_IN_FORCE),  # nor does a market order
])
def test_amend_time_in_force_refused(placed: TimeInForce, order_type: OrderType,
                                     wanted: TimeInForce, reason: RejectReason) -> None:
    book = Book(cash=10**7)
    price = None if order_type is MARKET else 19_000
    tid = book.place(order_type=order_type, price=price, tif=placed)
    book.report(tid, ExecType.NEW)
    book.refused(AmendTrade("a1", T, tid, time_in_force=wanted), reason)


def test_amend_time_in_force_refused_with_a_quantity_too() -> None:
    """A refused time in force refuses the whole amend, whatever else it asks."""
    book, tid = working_buy()
    book.refused(AmendTrade("a1", T, tid, 20, 19_100, time_in_force=IOC),
                 R.INVALID_TIME_IN_FORCE)


def test_amend_below_what_is_filled() -> None:
    book, tid = working_buy()
    book.report(tid, ExecType.TRADE, 4, 19_000)
    book.refused(amend(tid, qty=4), R.INVALID_QUANTITY)
    book.refused(replace(amend(tid, qty=3), request_id="a2"), R.INVALID_QUANTITY)


def test_amend_up_without_funds_or_shares() -> None:
    book, tid = working_buy(cash=10 * 19_000 + RD.fee(10 * 19_000))
    book.refused(amend(tid, qty=11), R.INSUFFICIENT_FUNDS)
    book.refused(replace(amend(tid, price=19_001), request_id="a2"), R.INSUFFICIENT_FUNDS)
    book = Book(AAPL=10)
    tid = book.place(side=SELL)
    book.refused(amend(tid, qty=11), R.INSUFFICIENT_SHARES)


@pytest.mark.parametrize("kind", ["amend", "cancel"])
def test_change_of_an_unknown_trade(kind: str) -> None:
    book, _ = working_buy()
    for n, tid in enumerate([f"{T}.0000000000000000", "T2.0000000000000000", "nonsense"]):
        req: Request = (AmendTrade(f"c{n}", T, tid, 5) if kind == "amend"
                        else CancelTrade(f"c{n}", T, tid))
        book.refused(req, R.UNKNOWN_TRADE)


@pytest.mark.parametrize("end", [ExecType.TRADE, ExecType.CANCELED, ExecType.REJECTED,
                                 ExecType.EXPIRED, "eod"])
@pytest.mark.parametrize("kind", ["amend", "cancel"])
def test_change_of_a_closed_trade(end: ExecType | str, kind: str) -> None:
    book = Book(cash=10**7)
    tid = book.place()
    if end == "eod":
        book.send(EndOfDay(T, "2024-01-02"))
    elif end is ExecType.TRADE:
        book.report(tid, ExecType.TRADE, 10, 19_000)
    else:
        book.report(tid, ExecType(end))
    assert book.state.trades[tid].status.terminal
    req: Request = AmendTrade("c1", T, tid, 5) if kind == "amend" else CancelTrade("c1", T, tid)
    book.refused(req, R.TRADE_NOT_OPEN)


@pytest.mark.parametrize("pending", ["amend", "cancel"])
@pytest.mark.parametrize("kind", ["amend", "cancel"])
def test_change_while_another_is_pending(pending: str, kind: str) -> None:
    book, tid = working_buy()
    book.ok(AmendTrade("p1", T, tid, 5) if pending == "amend" else CancelTrade("p1", T, tid))
    req: Request = AmendTrade("c1", T, tid, 6) if kind == "amend" else CancelTrade("c1", T, tid)
    book.refused(req, R.CHANGE_PENDING)


# ---------------------------------------------------------------- wallet

WALLET_CASES = [
    ("zero deposit", Deposit("w1", T, 0), R.INVALID_AMOUNT),
    ("negative deposit", Deposit("w1", T, -100), R.INVALID_AMOUNT),
    ("deposit over the limit", Deposit("w1", T, RD.max_cash_amount_minor + 1), R.INVALID_AMOUNT),
    ("zero share deposit", Deposit("w1", T, 0, "AAPL"), R.INVALID_AMOUNT),
    ("share deposit over the limit", Deposit("w1", T, RD.max_quantity + 1, "AAPL"),
     R.INVALID_AMOUNT),
    ("zero withdrawal", Withdraw("w1", T, 0), R.INVALID_AMOUNT),
    ("negative withdrawal", Withdraw("w1", T, -1), R.INVALID_AMOUNT),
    ("withdrawal over the limit", Withdraw("w1", T, RD.max_cash_amount_minor + 1),
     R.INVALID_AMOUNT),
    ("deposit of an unknown symbol", Deposit("w1", T, 5, "ZZZ"), R.UNKNOWN_SYMBOL),
    ("withdrawal of an unknown symbol", Withdraw("w1", T, 5, "ZZZ"), R.UNKNOWN_SYMBOL),
    ("withdrawal over the cash", Withdraw("w1", T, 1_001), R.INSUFFICIENT_FUNDS),
    ("withdrawal over the shares", Withdraw("w1", T, 11, "AAPL"), R.INSUFFICIENT_SHARES),
    ("withdrawal of shares never held", Withdraw("w1", T, 1, "MSFT"), R.INSUFFICIENT_SHARES),
]


@pytest.mark.parametrize(("req", "reason"), [c[1:] for c in WALLET_CASES],
                         ids=[c[0] for c in WALLET_CASES])
def test_wallet_refused(req: Request, reason: RejectReason) -> None:
    Book(cash=1_000, AAPL=10).refused(req, reason)


def test_the_limits_themselves_are_allowed() -> None:
    book = Book()
    book.ok(Deposit("w1", T, RD.max_cash_amount_minor))
    book.ok(Withdraw("w2", T, RD.max_cash_amount_minor))
    book.ok(Deposit("w3", T, RD.max_quantity, "AAPL"))
    assert book.state.cash_available == 0
    assert book.state.position("AAPL").available == RD.max_quantity


def test_blocked_cash_and_shares_cannot_be_withdrawn() -> None:
    cost = 10 * 19_000 + RD.fee(10 * 19_000)
    book = Book(cash=cost + 5, AAPL=10)
    book.place()
    book.place(side=SELL, qty=4)
    book.refused(Withdraw("w1", T, 6), R.INSUFFICIENT_FUNDS)
    book.refused(Withdraw("w2", T, 7, "AAPL"), R.INSUFFICIENT_SHARES)
    book.ok(Withdraw("w3", T, 5))
    book.ok(Withdraw("w4", T, 6, "AAPL"))


# ---------------------------------------------------------------- idempotency

def test_same_request_id_with_another_body_is_refused() -> None:
    book = Book(cash=10**7)
    first = book.ok(NewTrade("dup", T, BUY, "AAPL", 10, LIMIT, 19_000))
    state = book.state
    book.refused(NewTrade("dup", T, BUY, "AAPL", 11, LIMIT, 19_000), R.DUPLICATE_REQUEST)
    book.refused(Deposit("dup", T, 5), R.DUPLICATE_REQUEST)
    book.refused(CancelTrade("dup", T, first.trade_id or ""), R.DUPLICATE_REQUEST)
    assert book.state is state
    assert book.state.requests["dup"].response == first  # the first answer stands


def test_same_request_again_gets_the_same_answer_and_no_effect() -> None:
    book = Book(cash=10**7)
    req = NewTrade("once", T, BUY, "AAPL", 10, LIMIT, 19_000, at_ms=1_000)
    out = book.send(req)
    state = book.state
    # Redelivered as it was, or resent later: the arrival time is not part of its identity.
    for again in (req, replace(req, at_ms=2_000)):
        assert book.send(again) == out  # the answer, and the order again (still pending)
        assert book.state is state
    book.report(out[0].trade_id, ExecType.NEW)  # type: ignore[union-attr]
    state = book.state
    assert book.send(req) == out[:1]  # acknowledged: only the answer now
    assert book.state is state


def test_refusals_are_remembered_too() -> None:
    book = Book()
    resp = book.refused(Withdraw("w1", T, 5), R.INSUFFICIENT_FUNDS)
    book.ok(Deposit("d1", T, 100))
    # The same withdrawal again is the same (remembered) refusal, even though it would pass now.
    assert book.send(Withdraw("w1", T, 5)) == [resp]
    assert book.state.cash_available == 100


def test_request_id_reused_after_it_left_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the request window a NewTrade id is still caught by the trade it booked."""
    monkeypatch.setattr(core, "MAX_REMEMBERED_REQUESTS", 1)
    book = Book(cash=10**7)
    req = NewTrade("old", T, BUY, "AAPL", 10, LIMIT, 19_000)
    tid = book.ok(req).trade_id
    book.ok(Deposit("other", T, 1))
    assert "old" not in book.state.requests
    resp = book.refused(req, R.DUPLICATE_REQUEST)
    assert resp.trade_id == tid


def test_event_for_another_trader_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        core.apply(TraderState(T), Deposit("d1", "T2", 5), RD)


# ---------------------------------------------------------------- coverage of the reasons

def test_every_reason_the_domain_gives_is_covered_here() -> None:
    tested = {c[2] for c in NEW_TRADE_CASES} | {c[2] for c in WALLET_CASES} | {
        R.MALFORMED, R.UNKNOWN_TRADE, R.TRADE_NOT_OPEN, R.CHANGE_PENDING, R.DUPLICATE_REQUEST,
        R.TOO_MANY_OPEN_TRADES, R.INVALID_TIME_IN_FORCE,
    }
    assert tested == set(RejectReason) - NOT_FROM_THE_DOMAIN
