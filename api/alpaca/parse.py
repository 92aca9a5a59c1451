"""Alpaca order and replace bodies -> our requests. Only translation and the codec's bounds
(the same as /v1's): every business check is left to the rules in the workers."""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from api.models import ID
from api.money import to_minor
from brokerage.domain import events as ev
from brokerage.domain.types import OrderType, Side, TimeInForce

from .errors import invalid

SYMBOL = re.compile(r"^[A-Z0-9.]{1,12}\Z")
CLIENT_ID = re.compile(ID.removesuffix("$") + r"\Z")  # as /v1 and the codec check ids
MAX_QTY, MAX_PRICE = 10**12, 10**10
UNSUPPORTED = ("notional", "legs", "take_profit", "stop_loss", "stop_price", "trail_price",
               "trail_percent", "trail")
TIFS = {t.value.lower(): t for t in TimeInForce}


def body(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw or b"{}", parse_float=Decimal)  # prices stay exact
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid("request body format is invalid") from exc
    if not isinstance(data, dict):
        raise invalid("request body must be a JSON object")
    return data


def _decimal(value: Any, name: str) -> Decimal:
    """A JSON number (parsed as Decimal) or a decimal string; never a bool or a float."""
    number = None
    if isinstance(value, int | str | Decimal) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            pass
    if number is None or not number.is_finite():
        raise invalid(f"{name} must be a number")
    return number


def qty(value: Any) -> int:
    d = _decimal(value, "qty")
    if d != d.to_integral_value():
        raise invalid("fractional orders are not supported: qty must be a whole number")
    if not 0 < d < MAX_QTY:
        raise invalid("qty must be > 0")
    return int(d)


def price(value: Any, name: str = "limit_price") -> int:
    d = _decimal(value, name)
    if not 0 < d < MAX_PRICE:
        raise invalid(f"{name} must be > 0")
    try:
        return to_minor(d)
    except ValueError as exc:
        raise invalid(f"{name}: sub-penny increments are not supported") from exc


def client_order_id(value: Any) -> str:
    if value is None or value == "":
        return uuid.uuid4().hex
    if not isinstance(value, str) or not CLIENT_ID.match(value):
        raise invalid("client_order_id must be 1-64 of A-Z a-z 0-9 _ - : .")
    return value


def _tif(value: Any) -> TimeInForce:
    if value not in TIFS:
        raise invalid(f"time_in_force {value!r} is not supported (day, gtc, ioc, fok)")
    return TIFS[value]


def _refuse_unsupported(data: dict[str, Any]) -> None:
    for name in UNSUPPORTED:
        if data.get(name) is not None:
            raise invalid(f"{name} is not supported")
    if data.get("extended_hours"):
        raise invalid("extended_hours is not supported")
    if data.get("order_class") not in (None, "", "simple"):
        raise invalid(f"order_class {data['order_class']!r} is not supported")


def new_trade(data: dict[str, Any], trader_id: str) -> ev.NewTrade:
    _refuse_unsupported(data)
    symbol = data.get("symbol")
    if not isinstance(symbol, str) or not SYMBOL.match(symbol.upper()):
        raise invalid("symbol is required: 1-12 of A-Z 0-9 .")
    if data.get("side") not in ("buy", "sell"):
        raise invalid("side must be buy or sell")
    kind = data.get("type") or data.get("order_type")
    if kind not in ("market", "limit"):
        raise invalid(f"order type {kind!r} is not supported (market, limit)")
    if data.get("qty") is None:
        raise invalid("qty is required")
    limit = data.get("limit_price")
    return ev.NewTrade(
        client_order_id(data.get("client_order_id")), trader_id, Side(data["side"].upper()),
        symbol.upper(), qty(data["qty"]), OrderType(kind.upper()),
        None if limit is None else price(limit), _tif(data.get("time_in_force")),
    )


def amend_trade(data: dict[str, Any], trader_id: str, order: dict[str, Any]) -> ev.AmendTrade:
    """A replace: our amend of the order's trade. qty, limit_price and time_in_force; the
    rules decide which time in force may change (DAY <-> GTC) and refuse the rest."""
    for name in ("stop_price", "trail"):
        if data.get(name) is not None:
            raise invalid(f"{name} is not supported")
    tif, new_qty, limit = data.get("time_in_force"), data.get("qty"), data.get("limit_price")
    return ev.AmendTrade(
        client_order_id(data.get("client_order_id")), trader_id, order["trade_id"],
        None if new_qty is None else qty(new_qty), None if limit is None else price(limit),
        time_in_force=None if tif is None else _tif(tif),
    )
