"""Account, positions, assets and the clock, in Alpaca's shapes, from our state and refdata.

There is no market-data feed: a position is valued at its symbol's reference price (the
price the exchange simulator's market maker quotes around), or at cost when the symbol has
none. Average cost is that of the buy fills the trader's state still remembers (open trades
and the 50 most recent closed ones); shares that came in by deposit have no known cost.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from api.money import MINOR, from_minor
from brokerage.domain.hours import next_close
from brokerage.domain.refdata import Instrument, RefData

from .shapes import account_uuid, asset_uuid, average, rfc3339

CENT = Decimal("0.01")


def _money(d: Decimal) -> str:
    return str(d.quantize(CENT))


def held(state: dict[str, Any] | None) -> dict[str, tuple[int, int]]:
    """symbol -> (total held, available), for the symbols the trader holds."""
    return {p["symbol"]: (p["available"] + p["blocked"], p["available"])
            for p in (state or {}).get("positions", []) if p["available"] or p["blocked"]}


def _cost(state: dict[str, Any], symbol: str) -> tuple[int, int]:
    """(quantity, notional in minor units) of the remembered buy fills of `symbol`."""
    qty = notional = 0
    for t in state["trades"]:
        if t["symbol"] == symbol and t["side"] == "BUY":
            qty += t["cum_qty"]
            notional += t["cum_notional"]
    return qty, notional


def position_json(state: dict[str, Any], symbol: str, refdata: RefData) -> dict[str, Any]:
    qty, available = held(state)[symbol]
    bought, notional = _cost(state, symbol)
    avg = Decimal(average(notional, bought)) if bought else None
    inst = refdata.instruments.get(symbol)
    ref = inst.reference_price_minor if inst else None
    price = Decimal(ref) / MINOR if ref is not None else avg
    out: dict[str, Any] = {
        "asset_id": asset_uuid(symbol), "symbol": symbol, "exchange": "",
        "asset_class": "us_equity", "asset_marginable": False, "side": "long",
        "qty": str(qty), "qty_available": str(available),
        "avg_entry_price": str(avg) if avg is not None else "0.00",
        "cost_basis": _money(avg * qty) if avg is not None else "0.00",
    }
    if price is not None:
        out.update(current_price=_money(price), market_value=_money(price * qty))
    if price is not None and avg:
        pl = (price - avg) * qty
        out.update(unrealized_pl=_money(pl),
                   unrealized_plpc=str((pl / (avg * qty)).quantize(Decimal("0.0001"))))
    return out


def market_value(state: dict[str, Any] | None, refdata: RefData) -> Decimal:
    return sum((Decimal(p.get("market_value", "0"))
                for p in (position_json(state or {}, s, refdata) for s in held(state))),
               Decimal(0))


def account_json(trader_id: str, state: dict[str, Any] | None, refdata: RefData
                 ) -> dict[str, Any]:
    """A cash account: no margin, no shorting. `cash` counts what open buys block; buying
    power is what is available now."""
    available = (state or {}).get("cash_available", 0)
    blocked = (state or {}).get("cash_blocked", 0)
    long_value = market_value(state, refdata)
    equity = Decimal(available + blocked) / MINOR + long_value
    power = from_minor(available)
    return {
        "id": account_uuid(trader_id), "account_number": trader_id, "status": "ACTIVE",
        "currency": "USD", "cash": from_minor(available + blocked),
        "buying_power": power, "regt_buying_power": power,
        "non_marginable_buying_power": power, "daytrading_buying_power": "0.00",
        "options_buying_power": "0.00",
        "equity": _money(equity), "portfolio_value": _money(equity),
        "long_market_value": _money(long_value), "short_market_value": "0.00",
        "initial_margin": "0.00", "maintenance_margin": "0.00", "multiplier": "1",
        "pattern_day_trader": False, "trading_blocked": False, "transfers_blocked": False,
        "account_blocked": False, "trade_suspended_by_user": False,
        "shorting_enabled": False, "crypto_status": "INACTIVE",
    }


def asset_json(inst: Instrument) -> dict[str, Any]:
    return {
        "id": asset_uuid(inst.symbol), "class": "us_equity", "exchange": "",
        "symbol": inst.symbol, "name": inst.symbol, "status": "active", "tradable": True,
        "marginable": False, "shortable": False, "easy_to_borrow": False,
        "fractionable": False, "min_order_size": str(inst.lot),
        "min_trade_increment": str(inst.lot), "price_increment": from_minor(inst.tick_minor),
        "attributes": [],
    }


def clock_json(now: datetime | None = None, close: time | None = None) -> dict[str, Any]:
    """The simulator trades around the clock, so the market is open. The day closes (DAY
    orders expire) at the venue's configured close, else at the coming UTC midnight, and
    the next one opens at once."""
    now = now or datetime.now(UTC)
    if close is not None:
        end = next_close(close, now)
    else:
        end = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    boundary = rfc3339(int(end.timestamp() * 1000))
    return {"timestamp": rfc3339(int(now.timestamp() * 1000)), "is_open": True,
            "next_open": boundary, "next_close": boundary}
