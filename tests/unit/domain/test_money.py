"""Money to the unit: fees, blocks, releases and settlement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    Withdraw,
)
from brokerage.domain.state import Fill, Trade, TraderState
from brokerage.domain.types import (
    AnomalyReason,
    ExecType,
    OrderAction,
    OrderType,
    RejectReason,
    Side,
    TradeStatus,
)

RD = refdata.load()
T = "T1"
E = ExecType
fee = RD.fee


class Book:
    def __init__(self, cash: int = 0, **shares: int) -> None:
        self.state = TraderState(T)
        self.n = 0
        if cash:
            self.send(Deposit("cash", T, cash))
        for sym, qty in shares.items():
            self.send(Deposit(f"shares-{sym}", T, qty, sym))

    def send(self, event: Event) -> list[Output]:
        self.state, out = core.apply(self.state, event, RD)
        self.check()
        return out

    def check(self) -> None:
        s, t = self.state, self.state.totals
        assert (s.cash_available + s.cash_blocked + t.bought_notional - t.sold_notional
                == t.deposited - t.withdrawn - t.fees)
        assert s.cash_available >= 0 and s.cash_blocked >= 0
        opened = [tr for tr in s.trades.values() if not tr.status.terminal]
        assert s.cash_blocked == sum(tr.blocked_cash for tr in opened)
        for sym, pos in s.positions.items():
            assert pos.available >= 0 and pos.blocked >= 0
            assert pos.blocked == sum(tr.blocked_shares for tr in opened if tr.symbol == sym)

    def place(self, side: Side = Side.BUY, qty: int = 10, price: int | None = 19_000,
              symbol: str = "AAPL", order_type: OrderType = OrderType.LIMIT) -> str:
        self.n += 1
        out = self.send(NewTrade(f"n{self.n}", T, side, symbol, qty, order_type, price))
        assert isinstance(out[0], Response) and out[0].accepted and out[0].trade_id, out
        return out[0].trade_id

    def report(self, tid: str, kind: ExecType, qty: int = 0, price: int = 0) -> Output:
        self.n += 1
        out = self.send(ExecutionReport(f"x{self.n}", T, tid, kind, 0, qty, price))
        assert len(out) == 1, out
        return out[0]

    def amend(self, tid: str, qty: int | None = None, price: int | None = None) -> list[Output]:
        self.n += 1
        return self.send(AmendTrade(f"a{self.n}", T, tid, qty, price))

    def cancel(self, tid: str) -> list[Output]:
        self.n += 1
        return self.send(CancelTrade(f"c{self.n}", T, tid))

    def trade(self, tid: str) -> Trade:
        return self.state.trades[tid]

    @property
    def cash(self) -> tuple[int, int]:
        return self.state.cash_available, self.state.cash_blocked

    def shares(self, sym: str = "AAPL") -> tuple[int, int]:
        pos = self.state.position(sym)
        return pos.available, pos.blocked


# ---------------------------------------------------------------- the fee

@pytest.mark.parametrize(("notional", "expected"), [
    (-5, 0), (0, 0),
    (1, 1), (99, 99), (100, 100),  # capped at the notional below the minimum
    (101, 100), (150, 100), (200_000, 100),  # the minimum (5 bp of 200,000 is exactly 100)
    (200_001, 101),  # 100.0005 rounds up
    (2_000_000, 1_000), (2_000_001, 1_001), (2_019_999, 1_010), (2_020_000, 1_010),
    (10**9, 500_000),
])
def test_fee(notional: int, expected: int) -> None:
    assert fee(notional) == expected


def test_fee_schedule_is_the_one_tested() -> None:
    assert (RD.fee_bps, RD.fee_min_minor) == (5, 100)


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_fee_properties(a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert 0 <= fee(lo) <= lo  # never more than the notional
    assert fee(lo) <= fee(hi)  # monotone, so cumulative fees never go down
    assert fee(lo) * 10_000 >= lo * RD.fee_bps  # rounded up, never down
    assert fee(lo) >= min(lo, RD.fee_min_minor)
    assert (fee(lo) - 1) * 10_000 < lo * RD.fee_bps or fee(lo) in (lo, RD.fee_min_minor)


def test_fees_are_cumulative_per_trade() -> None:
    book = Book(cash=10**8)
    tid = book.place(qty=1_000)
    assert book.cash[1] == 19_000_000 + 9_500
    fees = []
    for qty in (333, 333, 334):
        update = book.report(tid, E.TRADE, qty, 19_000)
        assert isinstance(update, TradeUpdate)
        fees.append(update.fee)
    # 6,327,000 -> 3,163.5 -> 3,164; 12,654,000 -> 6,327 (+3,163); 19,000,000 -> 9,500 (+3,173)
    assert fees == [3_164, 3_163, 3_173]
    assert sum(fees) == fee(19_000_000) == book.trade(tid).fees == book.state.totals.fees
    assert book.cash == (10**8 - 19_000_000 - 9_500, 0)


def test_minimum_fee_is_charged_once_per_trade_and_capped_at_the_notional() -> None:
    book = Book(cash=10**6)

    def fees_of(qty: int, price: int, parts: int) -> list[int]:
        tid = book.place(qty=qty, price=price)
        out = [book.report(tid, E.TRADE, qty // parts, price) for _ in range(parts)]
        assert book.trade(tid).status is TradeStatus.FILLED
        return [u.fee for u in out if isinstance(u, TradeUpdate)]

    assert fees_of(3, 30, 3) == [30, 30, 30]  # 0.90 in all: the fee is the notional, no more
    assert fees_of(3, 100, 3) == [100, 0, 0]  # 3.00: the 1.00 minimum, once
    assert fees_of(3_000, 100, 3) == [100, 0, 50]  # 3,000.00: 5 bp is 1.50 in all


# ---------------------------------------------------------------- buys

def test_buy_blocks_notional_plus_fee() -> None:
    book = Book(cash=1_000_000)
    out = book.send(NewTrade("n", T, Side.BUY, "AAPL", 10, OrderType.LIMIT, 19_000))
    tid = out[0].trade_id  # type: ignore[union-attr]
    assert book.cash == (1_000_000 - 190_100, 190_100)
    assert book.trade(tid).blocked_cash == 190_100
    order = out[1]
    assert isinstance(order, OrderCommand) and order.action is OrderAction.NEW
    assert (order.quantity, order.limit_price) == (10, 19_000)


def test_buy_filled_at_a_better_price_releases_the_difference() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.NEW)
    book.report(tid, E.TRADE, 10, 18_000)
    assert book.cash == (1_000_000 - 180_000 - 100, 0)
    assert book.shares() == (10, 0)
    assert book.trade(tid).status is TradeStatus.FILLED


def test_partial_fill_at_a_better_price_releases_its_share_of_the_difference() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.TRADE, 4, 18_000)  # 72,000 + fee 100 spent; 4 x 10.00 better
    # The rest still holds 6 x 190.00 plus the fee it could still add (none: the minimum is paid)
    assert book.trade(tid).blocked_cash == 114_000
    assert book.cash == (1_000_000 - 72_100 - 114_000, 114_000)
    book.report(tid, E.TRADE, 6, 19_000)
    assert book.cash == (1_000_000 - 72_000 - 114_000 - fee(186_000), 0)


def test_partial_fills_are_recorded() -> None:
    book = Book(cash=10**8)
    tid = book.place(qty=1_000)
    first = book.report(tid, E.TRADE, 400, 18_990)
    second = book.report(tid, E.TRADE, 100, 19_000)
    assert first == TradeUpdate(T, tid, TradeStatus.PARTIALLY_FILLED, "x2", 400, 400, 18_990,
                                fee(400 * 18_990), f"{tid}:0")
    assert isinstance(second, TradeUpdate)
    assert (second.cum_qty, second.last_qty, second.last_price) == (500, 100, 19_000)
    assert second.fee == fee(400 * 18_990 + 100 * 19_000) - fee(400 * 18_990)
    trade = book.trade(tid)
    assert trade.fills == (Fill("x2", 400, 18_990, first.fee), Fill("x3", 100, 19_000, second.fee))
    assert (trade.cum_qty, trade.cum_notional) == (500, 400 * 18_990 + 100 * 19_000)
    assert trade.fees == first.fee + second.fee
    totals, shares = book.state.totals, book.state.share_totals["AAPL"]
    assert totals.bought_notional == trade.cum_notional and totals.fees == trade.fees
    assert shares.bought == 500 and book.shares() == (500, 0)


@pytest.mark.parametrize(("symbol", "side", "collar"), [
    ("AAPL", Side.BUY, 19_950),  # 190.00 + 5 %
    ("AAPL", Side.SELL, 18_050),  # 190.00 - 5 %
    ("TSLA", Side.BUY, 26_250),
    ("BRK", Side.BUY, 47_300),  # 472.50 rounded up to the 1.00 tick
    ("BRK", Side.SELL, 42_700),  # 427.50 rounded down to the tick
])
def test_market_order_collar(symbol: str, side: Side, collar: int) -> None:
    qty = RD.instruments[symbol].lot
    book = Book(cash=10**7, **{symbol: qty})
    out = book.send(NewTrade("m", T, side, symbol, qty, OrderType.MARKET, None))
    tid = out[0].trade_id  # type: ignore[union-attr]
    order = out[1]
    assert isinstance(order, OrderCommand) and order.limit_price == collar
    trade = book.trade(tid)
    assert trade.block_price == collar and trade.limit_price is None
    if side is Side.BUY:
        assert trade.blocked_cash == qty * collar + fee(qty * collar)
        assert book.cash == (10**7 - trade.blocked_cash, trade.blocked_cash)
    else:
        assert book.shares(symbol) == (0, qty) and book.cash[1] == 0


def test_market_buy_fills_up_to_the_collar_only() -> None:
    book = Book(cash=10**7)
    tid = book.place(order_type=OrderType.MARKET, price=None)
    out = book.report(tid, E.TRADE, 10, 19_951)
    assert isinstance(out, Anomaly) and out.reason is AnomalyReason.FILL_OUTSIDE_LIMIT
    book.report(tid, E.TRADE, 10, 19_100)
    assert book.cash == (10**7 - 191_000 - fee(191_000), 0)


# ---------------------------------------------------------------- sells

def test_sell_blocks_shares_and_settles_cash_less_fee() -> None:
    book = Book(AAPL=10)
    tid = book.place(side=Side.SELL)
    assert book.shares() == (0, 10) and book.cash == (0, 0)
    book.report(tid, E.TRADE, 4, 19_500)  # better than the limit: more cash
    assert book.shares() == (0, 6)
    assert book.cash == (4 * 19_500 - fee(4 * 19_500), 0)
    book.cancel(tid)
    assert book.shares() == (0, 6)  # held until the exchange confirms
    book.report(tid, E.CANCELED)
    assert book.shares() == (6, 0)
    assert book.state.share_totals["AAPL"].sold == 4
    assert book.state.totals.sold_notional == 78_000


def test_a_small_sell_never_costs_more_than_it_brings() -> None:
    book = Book(AAPL=1)
    tid = book.place(side=Side.SELL, qty=1, price=50)
    book.report(tid, E.TRADE, 1, 50)
    assert book.cash == (0, 0) and book.state.totals.fees == 50


# ---------------------------------------------------------------- amend

def test_amend_up_needs_funds_and_the_old_order_stands_when_refused() -> None:
    book = Book(cash=190_100)
    tid = book.place()
    book.report(tid, E.NEW)
    before = book.state
    out = book.amend(tid, qty=11)
    assert len(out) == 1 and isinstance(out[0], Response)
    assert out[0].reason is RejectReason.INSUFFICIENT_FUNDS
    trade = book.trade(tid)
    assert trade == before.trades[tid] and trade.status is TradeStatus.NEW
    assert book.cash == (0, 190_100)
    book.report(tid, E.TRADE, 10, 19_000)  # the old order still fills
    assert book.trade(tid).status is TradeStatus.FILLED


def test_amend_up_blocks_at_once_and_keeps_it_on_replaced() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.NEW)
    out = book.amend(tid, qty=12)
    assert isinstance(out[1], OrderCommand) and out[1].action is OrderAction.REPLACE
    assert out[1].quantity == 12
    block = 12 * 19_000 + fee(12 * 19_000)
    assert book.cash == (1_000_000 - block, block)
    book.report(tid, E.REPLACED)
    assert book.cash == (1_000_000 - block, block)
    assert book.trade(tid).quantity == 12


def test_amend_up_released_when_the_replace_is_refused() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.NEW)
    book.amend(tid, price=19_500)
    block = 10 * 19_500 + fee(10 * 19_500)
    assert book.cash == (1_000_000 - block, block)
    book.report(tid, E.REPLACE_REJECTED)
    assert book.cash == (1_000_000 - 190_100, 190_100)
    assert book.trade(tid).limit_price == 19_000


@pytest.mark.parametrize(("qty", "price", "after"), [
    (5, None, 5 * 19_000 + 100),
    (None, 18_000, 180_000 + 100),
    (5, 18_000, 90_000 + 100),
])
def test_amend_down_releases_only_on_replaced(qty: int | None, price: int | None,
                                              after: int) -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.NEW)
    book.amend(tid, qty, price)
    assert book.cash == (1_000_000 - 190_100, 190_100)  # not yet
    book.report(tid, E.REPLACED)
    assert book.cash == (1_000_000 - after, after)


def test_amend_down_refused_by_the_exchange_releases_nothing() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.amend(tid, 5)
    book.report(tid, E.REPLACE_REJECTED)
    assert book.cash == (1_000_000 - 190_100, 190_100)


def test_amend_more_shares_but_cheaper_holds_the_worst_of_both() -> None:
    """10 @ 200.00 amended to 20 @ 100.00: the old order may fill 10 at 200.00 before the
    replace lands, and the new one 10 more at 100.00, so the block while the replace is
    pending covers 20 at 200.00 (fills are accepted up to the larger quantity at the higher
    price); an exchange report must never take from the available cash."""
    worst = 20 * 20_000 + fee(20 * 20_000)
    book = Book(cash=200_100)
    tid = book.place(price=20_000)
    book.report(tid, E.NEW)
    out = book.amend(tid, 20, 10_000)
    assert isinstance(out[0], Response) and out[0].reason is RejectReason.INSUFFICIENT_FUNDS
    assert book.cash == (0, 200_100)

    book = Book(cash=worst)
    tid = book.place(price=20_000)
    book.report(tid, E.NEW)
    assert isinstance(book.amend(tid, 20, 10_000)[0], Response)
    assert book.cash == (0, worst)
    book.report(tid, E.TRADE, 10, 20_000)  # the old order fills first
    assert book.cash[0] >= 0
    book.report(tid, E.REPLACED)
    book.report(tid, E.TRADE, 10, 10_000)
    spent = 200_000 + 100_000 + fee(300_000)
    assert book.cash == (worst - spent, 0)
    assert book.trade(tid).status is TradeStatus.FILLED


# ---------------------------------------------------------------- cancel and expiry

def test_cancel_releases_only_on_canceled() -> None:
    book = Book(cash=1_000_000)
    tid = book.place()
    book.report(tid, E.NEW)
    book.report(tid, E.TRADE, 4, 19_000)
    rest = 6 * 19_000
    book.cancel(tid)
    assert book.cash == (1_000_000 - 76_000 - 100 - rest, rest)
    book.report(tid, E.CANCEL_REJECTED)
    assert book.cash == (1_000_000 - 76_000 - 100 - rest, rest)
    book.cancel(tid)
    book.report(tid, E.CANCELED)
    assert book.cash == (1_000_000 - 76_100, 0)
    assert book.trade(tid).blocked_cash == 0


@pytest.mark.parametrize("how", ["exchange", "end of day", "rejected"])
def test_expiry_and_rejection_release_everything(how: str) -> None:
    book = Book(cash=1_000_000, AAPL=10)
    buy, sell = book.place(), book.place(side=Side.SELL)
    for tid in (buy, sell):
        if how == "exchange":
            book.report(tid, E.EXPIRED)
        elif how == "rejected":
            book.report(tid, E.REJECTED)
    if how == "end of day":
        book.send(EndOfDay(T, "2024-01-02"))
    assert book.cash == (1_000_000, 0) and book.shares() == (10, 0)


def test_totals() -> None:
    book = Book(cash=1_000_000, AAPL=5)
    book.send(NewTrade("w", T, Side.BUY, "AAPL", 1, OrderType.LIMIT, 19_000))
    book.send(Withdraw("w1", T, 1_000))
    book.send(Withdraw("w2", T, 2, "AAPL"))
    tid = book.place(side=Side.SELL, qty=3)
    book.report(tid, E.TRADE, 3, 19_000)
    t, s = book.state.totals, book.state.share_totals["AAPL"]
    assert (t.deposited, t.withdrawn, t.bought_notional, t.sold_notional) == (
        1_000_000, 1_000, 0, 57_000)
    assert t.fees == 100
    assert (s.deposited, s.withdrawn, s.bought, s.sold) == (5, 2, 0, 3)
