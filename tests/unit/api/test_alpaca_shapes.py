"""Our trades, wallet and refdata in Alpaca's shapes, checked with alpaca-py's own models."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from alpaca.trading.enums import OrderStatus
from alpaca.trading.models import Asset, Clock, Order, Position, TradeAccount

from api.alpaca import portfolio, shapes
from brokerage.domain.refdata import load
from brokerage.domain.types import TradeStatus

REFDATA = load()


def trade(**over: Any) -> dict[str, Any]:
    t = {"trade_id": "alice.0123456789abcdef", "request_id": "my-order-1", "side": "BUY",
         "symbol": "AAPL", "order_type": "LIMIT", "time_in_force": "GTC", "quantity": 150,
         "limit_price": 19009, "status": "PARTIALLY_FILLED", "cum_qty": 100,
         "cum_notional": 1900900, "fills": [{"exec_id": "E1", "quantity": 100,
                                             "price": 19009, "fee": 951}],
         "created_ms": 1_700_000_000_123, "updated_ms": 1_700_000_001_000,
         "history": [{"at_ms": 1_700_000_000_123, "status": "PENDING_NEW", "cause": "r"}]}
    t.update(over)
    return t


def state(**over: Any) -> dict[str, Any]:
    s = {"trader_id": "alice", "cash_available": 1_000_000, "cash_blocked": 95_548,
         "positions": [{"symbol": "AAPL", "available": 100, "blocked": 0},
                       {"symbol": "NEWCO", "available": 0, "blocked": 0}],
         "trades": [trade()]}
    s.update(over)
    return s


def test_an_order_validates_with_the_sdk_and_keeps_decimal_strings() -> None:
    o = Order(**shapes.order_json(trade()))
    assert o.status is OrderStatus.PARTIALLY_FILLED
    assert (o.qty, o.filled_qty, o.filled_avg_price, o.limit_price) == (
        "150", "100", "190.09", "190.09")
    assert o.client_order_id == "my-order-1" and o.symbol == "AAPL"
    assert str(o.id) == shapes.order_uuid("alice.0123456789abcdef")
    assert o.created_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


def test_every_status_of_ours_is_one_of_alpacas() -> None:
    for s in TradeStatus:
        o = Order(**shapes.order_json(trade(status=s.value)))
        assert o.status.value == s.value.lower()


def test_terminal_orders_carry_their_time() -> None:
    t = trade(status="CANCELED", history=[{"at_ms": 5000, "status": "CANCELED", "cause": "x"}])
    assert shapes.order_json(t)["canceled_at"] == "1970-01-01T00:00:05Z"


def test_an_update_shows_the_order_as_it_was() -> None:
    fills = [{"exec_id": "E1", "quantity": 100, "price": 19009, "fee": 951},
             {"exec_id": "E2", "quantity": 50, "price": 19000, "fee": 475}]
    t = trade(status="FILLED", cum_qty=150, cum_notional=1900900 + 950000, fills=fills)
    then = shapes.order_json(t, "PARTIALLY_FILLED", 100, 1234)
    assert (then["status"], then["filled_qty"], then["filled_avg_price"]) == (
        "partially_filled", "100", "190.09")
    assert shapes.order_json(t)["filled_avg_price"] == "190.06"  # 2850900 / 150 cents


def test_averages_finer_than_a_cent_are_not_rounded_to_it() -> None:
    assert shapes.average(1001, 3) == "3.3367"
    assert shapes.average(300, 3) == "1.00"


def test_orders_are_found_by_uuid_or_trade_id_and_only_in_the_given_state() -> None:
    uid = shapes.order_uuid("alice.0123456789abcdef")
    assert shapes.find(state(), uid) is not None
    assert shapes.find(state(), "alice.0123456789abcdef") is not None
    assert shapes.find(state(trades=[]), uid) is None
    assert shapes.find(None, uid) is None


def test_account_is_a_cash_account_with_honest_values() -> None:
    a = TradeAccount(**portfolio.account_json("alice", state(), REFDATA))
    assert a.cash == "10955.48"  # available + blocked for open buys
    assert a.buying_power == a.non_marginable_buying_power == "10000.00"
    assert a.long_market_value == "19000.00"  # 100 AAPL at the 190.00 reference price
    assert a.equity == a.portfolio_value == "29955.48"
    assert a.multiplier == "1" and a.shorting_enabled is False
    empty = TradeAccount(**portfolio.account_json("bob", None, REFDATA))
    assert (empty.cash, empty.equity) == ("0.00", "0.00")


def test_positions_at_reference_price_and_remembered_cost() -> None:
    p = Position(**portfolio.position_json(state(), "AAPL", REFDATA))
    assert (p.qty, p.qty_available, p.avg_entry_price) == ("100", "100", "190.09")
    assert (p.cost_basis, p.current_price, p.market_value) == ("19009.00", "190.00", "19000.00")
    assert p.unrealized_pl == "-9.00" and p.side.value == "long"
    assert set(portfolio.held(state())) == {"AAPL"}  # nothing held of NEWCO


def test_deposited_shares_without_a_reference_price_have_no_value_or_pl() -> None:
    s = state(positions=[{"symbol": "NEWCO", "available": 100, "blocked": 100}], trades=[])
    p = Position(**portfolio.position_json(s, "NEWCO", REFDATA))
    assert (p.qty, p.qty_available, p.cost_basis) == ("200", "100", "0.00")
    assert p.market_value is None and p.unrealized_pl is None


@pytest.mark.parametrize("symbol", sorted(REFDATA.instruments))
def test_assets_from_reference_data(symbol: str) -> None:
    inst = REFDATA.instruments[symbol]
    a = Asset(**portfolio.asset_json(inst))
    assert a.symbol == symbol and a.tradable and not a.fractionable
    assert a.min_order_size == inst.lot
    assert a.price_increment == inst.tick_minor / 100


def test_the_clock_is_open_until_the_utc_day_ends() -> None:
    c = Clock(**portfolio.clock_json(datetime(2026, 3, 1, 15, 30, tzinfo=UTC)))
    assert c.is_open
    assert c.next_close == c.next_open == datetime(2026, 3, 2, tzinfo=UTC)


def test_the_clock_closes_at_the_venues_close_when_one_is_set() -> None:
    c = Clock(**portfolio.clock_json(datetime(2026, 3, 1, 15, 30, tzinfo=UTC), time(21, 0)))
    assert c.is_open and c.next_close == datetime(2026, 3, 1, 21, tzinfo=UTC)
    late = Clock(**portfolio.clock_json(datetime(2026, 3, 1, 22, 0, tzinfo=UTC), time(21, 0)))
    assert late.next_close == datetime(2026, 3, 2, 21, tzinfo=UTC)
