"""Scenario: a trader deposits cash through the API, buys, sells, and overreaches, on a real
broker with a real worker, exchange connector and API. We expect every request to be
validated and blocked in the worker's tables, filled through the order and execution topics,
settled exactly, and reported by the API."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.conftest import Stack, trader

pytestmark = pytest.mark.integration


def settled(s: Stack, trade_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = s.http.get(f"/v1/trades/{trade_id}").json()
        if body.get("status") in {"FILLED", "CANCELED", "REJECTED", "EXPIRED"}:
            return body
        assert time.monotonic() < deadline, f"trade never settled: {body}"
        time.sleep(0.2)


def test_deposit_buy_fill_settles_cash_and_shares(shared_stack: Stack) -> None:
    s, t = shared_stack, trader()
    assert s.deposit(t, amount="10000.00").status_code == 201
    r = s.http.post("/v1/trades", json={"trader_id": t, "side": "BUY", "symbol": "AAPL",
                                        "quantity": 10, "limit_price": "191.00"})
    assert r.status_code == 201, r.text
    booked = r.json()
    assert booked["trade_id"].startswith(t)

    trade = settled(s, booked["trade_id"])
    assert trade["status"] == "FILLED"
    assert trade["filled_quantity"] == 10
    assert len(trade["fills"]) == 1
    fill = trade["fills"][0]
    cost = Decimal(fill["price"]) * 10 + Decimal(fill["fee"])

    wallet = s.http.get(f"/v1/traders/{t}/wallet").json()
    assert Decimal(wallet["cash"]["available"]) == Decimal("10000.00") - cost
    assert Decimal(wallet["cash"]["blocked"]) == 0
    assert wallet["holdings"] == {"AAPL": {"available": 10, "blocked": 0}}

    # Selling what was bought gives the cash back, less the sell fee.
    r = s.http.post("/v1/trades", json={"trader_id": t, "side": "SELL", "symbol": "AAPL",
                                        "quantity": 4, "limit_price": "189.00"})
    assert r.status_code == 201, r.text
    sold = settled(s, r.json()["trade_id"])
    assert sold["status"] == "FILLED"
    wallet2 = s.http.get(f"/v1/traders/{t}/wallet").json()
    proceeds = Decimal(sold["fills"][0]["price"]) * 4 - Decimal(sold["fills"][0]["fee"])
    assert Decimal(wallet2["cash"]["available"]) == Decimal(wallet["cash"]["available"]) + proceeds
    assert wallet2["holdings"] == {"AAPL": {"available": 6, "blocked": 0}}


def test_buy_over_available_cash_is_rejected_and_blocks_nothing(shared_stack: Stack) -> None:
    s, t = shared_stack, trader()
    assert s.deposit(t, amount="1000.00").status_code == 201
    r = s.http.post("/v1/trades", json={"trader_id": t, "side": "BUY", "symbol": "MSFT",
                                        "quantity": 3, "limit_price": "410.00"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    wallet = s.http.get(f"/v1/traders/{t}/wallet").json()
    assert wallet["cash"] == {"available": "1000.00", "blocked": "0.00"}
    assert wallet["holdings"] == {}


def test_sell_without_shares_is_rejected(shared_stack: Stack) -> None:
    s, t = shared_stack, trader()
    assert s.deposit(t, amount="500.00").status_code == 201
    r = s.http.post("/v1/trades", json={"trader_id": t, "side": "SELL", "symbol": "GOOG",
                                        "quantity": 1, "limit_price": "170.00"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "INSUFFICIENT_SHARES"
    assert s.http.get(f"/v1/traders/{t}/wallet").json()["holdings"] == {}


def test_unknown_ids_are_404_with_a_json_body(shared_stack: Stack) -> None:
    s = shared_stack
    r = s.http.get("/v1/trades/nobody.0000000000000000")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = s.http.get("/v1/traders/nobody/wallet")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
