"""Small waits and reads shared by the integration tests. Every wait is bounded."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from tests.integration.conftest import Stack

TERMINAL = {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}


def until(check: Callable[[], Any], what: str, timeout: float = 45, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(every)


def trade(s: Stack, trade_id: str) -> dict[str, Any]:
    body: dict[str, Any] = s.http.get(f"/v1/trades/{trade_id}").json()
    return body


def wait_status(s: Stack, trade_id: str, *statuses: str, timeout: float = 45) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        t = trade(s, trade_id)
        return t if t.get("status") in statuses else None

    result: dict[str, Any] = until(check, f"{trade_id} to be {statuses}", timeout)
    return result


def wallet(s: Stack, trader: str) -> dict[str, Any]:
    body: dict[str, Any] = s.http.get(f"/v1/traders/{trader}/wallet").json()
    return body


def cash(s: Stack, trader: str) -> tuple[Decimal, Decimal]:
    w = wallet(s, trader)
    return Decimal(w["cash"]["available"]), Decimal(w["cash"]["blocked"])


def buy(s: Stack, trader: str, symbol: str, qty: int, price: str, **extra: Any) -> httpx.Response:
    return s.http.post("/v1/trades", json={"trader_id": trader, "side": "BUY", "symbol": symbol,
                                           "quantity": qty, "limit_price": price, **extra})


def sell(s: Stack, trader: str, symbol: str, qty: int, price: str) -> httpx.Response:
    return s.http.post("/v1/trades", json={"trader_id": trader, "side": "SELL",
                                           "symbol": symbol, "quantity": qty,
                                           "limit_price": price})


def balanced(w: dict[str, Any]) -> bool:
    """available + blocked + bought - sold == deposited - withdrawn - fees, to the cent."""
    t = {k: Decimal(v) for k, v in w["totals"].items()}
    held = Decimal(w["cash"]["available"]) + Decimal(w["cash"]["blocked"])
    return held + t["bought_notional"] - t["sold_notional"] == (
        t["deposited"] - t["withdrawn"] - t["fees"])
