"""Alpaca order bodies to our requests, and our refusals to Alpaca's errors."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import LimitOrderRequest, MarketOrderRequest, ReplaceOrderRequest

from api.alpaca import errors, parse
from api.errors import ApiError
from brokerage.domain import events as ev
from brokerage.domain.types import OrderType, RejectReason, Side
from brokerage.domain.types import TimeInForce as Tif


def sent(req: object) -> bytes:
    """The body alpaca-py sends (its requests are posted as JSON of to_request_fields())."""
    return json.dumps(req.to_request_fields()).encode()  # type: ignore[attr-defined]


def test_a_limit_order_from_the_sdk_keeps_its_price_exact() -> None:
    body = sent(LimitOrderRequest(symbol="AAPL", qty=150, side=OrderSide.BUY,
                                  time_in_force=TimeInForce.GTC, limit_price=190.09,
                                  client_order_id="mine-1"))
    req = parse.new_trade(parse.body(body), "alice")
    assert req == ev.NewTrade("mine-1", "alice", Side.BUY, "AAPL", 150, OrderType.LIMIT,
                              19009, Tif.GTC)


def test_a_market_order_without_client_id_gets_one() -> None:
    body = sent(MarketOrderRequest(symbol="msft", qty=2, side=OrderSide.SELL,
                                   time_in_force=TimeInForce.IOC))
    req = parse.new_trade(parse.body(body), "alice")
    assert (req.symbol, req.order_type, req.limit_price, req.time_in_force) == (
        "MSFT", OrderType.MARKET, None, Tif.IOC)
    assert len(req.request_id) == 32


@pytest.mark.parametrize(("change", "message"), [
    ({"qty": Decimal("1.5")}, "fractional"),
    ({"qty": "0"}, "qty must be > 0"),
    ({"qty": True}, "qty must be a number"),
    ({"qty": None, "notional": "100"}, "notional is not supported"),
    ({"type": "stop"}, "order type 'stop' is not supported"),
    ({"time_in_force": "opg"}, "time_in_force 'opg' is not supported"),
    ({"limit_price": Decimal("190.001")}, "sub-penny"),
    ({"extended_hours": True}, "extended_hours is not supported"),
    ({"order_class": "bracket"}, "order_class 'bracket' is not supported"),
    ({"client_order_id": "has space"}, "client_order_id must be"),
    ({"side": "short"}, "side must be buy or sell"),
])
def test_what_we_do_not_support_is_a_422(change: dict[str, object], message: str) -> None:
    data = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit",
            "time_in_force": "day", "limit_price": Decimal("190.00"), **change}
    with pytest.raises(errors.AlpacaError) as caught:
        parse.new_trade(data, "alice")
    assert caught.value.status == 422 and message in caught.value.message


def test_malformed_bodies() -> None:
    for raw in (b"{", b"[1]", b"\xff"):
        with pytest.raises(errors.AlpacaError):
            parse.body(raw)


def test_a_replace_changes_quantity_price_and_time_in_force() -> None:
    trade = {"trade_id": "alice.0123456789abcdef", "time_in_force": "DAY"}
    data = parse.body(sent(ReplaceOrderRequest(qty=20, limit_price=151.0,
                                               time_in_force=TimeInForce.GTC,
                                               client_order_id="mine-2")))
    req = parse.amend_trade(data, "alice", trade)
    assert req == ev.AmendTrade("mine-2", "alice", trade["trade_id"], 20, 15100,
                                time_in_force=Tif.GTC)
    req = parse.amend_trade({"qty": 3}, "alice", trade)
    assert (req.quantity, req.limit_price, req.time_in_force) == (3, None, None)
    with pytest.raises(errors.AlpacaError, match="'opg' is not supported"):
        parse.amend_trade({"time_in_force": "opg"}, "alice", trade)


@pytest.mark.parametrize(("reason", "status", "code"), [
    (RejectReason.INSUFFICIENT_FUNDS, 403, 40310000),
    (RejectReason.INSUFFICIENT_SHARES, 403, 40310000),
    (RejectReason.INVALID_PRICE, 422, 40010001),
    (RejectReason.UNKNOWN_SYMBOL, 422, 40010001),
    (RejectReason.UNKNOWN_TRADE, 404, 40410000),
    (RejectReason.TRADE_NOT_OPEN, 422, 42210000),
    (RejectReason.DUPLICATE_REQUEST, 422, 40010001),
    (RejectReason.INVALID_TIME_IN_FORCE, 422, 40010001),
])
def test_reject_reasons_as_alpaca_errors(reason: RejectReason, status: int, code: int) -> None:
    e = errors.for_reject(reason.value, "why")
    assert (e.status, e.code) == (status, code)


def test_the_sdk_reads_our_error_body() -> None:
    resp = errors.for_reject("INSUFFICIENT_FUNDS", "").response()
    err = APIError(bytes(resp.body).decode(), requests.HTTPError())
    assert (err.code, err.message) == (40310000, "insufficient buying power")
    assert errors.for_reject("DUPLICATE_REQUEST", "").message == (
        "client_order_id must be unique")


def test_other_failures_keep_their_status_in_alpacas_shape() -> None:
    limited = errors.convert(ApiError(429, "rate_limited", "slow down",
                                      headers={"Retry-After": "1"}))
    assert limited is not None and (limited.status, limited.code) == (429, 42910000)
    down = errors.convert(ConnectionError("no worker answered"))
    assert down is not None and down.status == 503
    assert errors.convert(ValueError("a bug")) is None  # not ours to hide
