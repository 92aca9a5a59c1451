"""Scenario: alpaca-py 0.44.0's TradingClient and TradingStream, pointed at a real local stack
(broker, sequencer, worker, exchange simulator with its market maker, connector, API), trade
for two traders through /v2 with keys from `brokerage apikey create`: a limit buy partly
filled by the market maker and completed by the other trader's sell; a resting DAY order
replaced by a GTC one with a new quantity and price, whose replacement is then canceled
after the API was killed and restarted; a cancel-all; a duplicate client_order_id; an order
beyond the buying power. We expect the SDK's orders, account and positions to agree with
/v1; the replacement to be a new order (`replaces` the old one, which shows `replaced` and
`replaced_by`) carrying the new time in force at the exchange and in /v1, and the old one to
refuse further changes; Alpaca's errors for the refusals; and each trader's stream to carry
that trader's updates only, in order per order, also after the restart, including a
`rejected` update for the order refused at submit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest
from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.models import Order
from alpaca.trading.requests import GetOrdersRequest, LimitOrderRequest, ReplaceOrderRequest
from alpaca.trading.stream import TradingStream

from brokerage.config import Settings
from brokerage.domain.requests import trade_id_for
from brokerage.entrypoints.stack import Running, stack
from brokerage.entrypoints.tokens import bearer
from tests.integration.conftest import stack_settings, trader
from tests.integration.helpers import until

pytestmark = pytest.mark.integration
ALPACA_PY = "0.44.0"  # pinned in pyproject.toml's dev extras


class Stream:
    """A TradingStream in a thread, keeping every trade update it receives."""

    def __init__(self, key: tuple[str, str], url: str) -> None:
        self.updates: list[Any] = []
        self.sdk = TradingStream(*key, url_override=url.replace("http", "ws") + "/stream")

        async def keep(update: Any) -> None:
            self.updates.append(update)

        self.sdk.subscribe_trade_updates(keep)
        self.thread = threading.Thread(target=self.sdk.run, daemon=True)
        self.thread.start()

    def events(self, order: Order) -> list[str]:
        return [_text(u.event) for u in self.updates if u.order.id == order.id]


@pytest.fixture
def alpaca_stack(kafka_bootstrap: str, tmp_path: Path,
                 unique_name: Callable[[str], str]) -> Iterator[tuple[Running, httpx.Client]]:
    settings = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"topic_api_keys": unique_name("apikeys")})
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        with stack(settings, log_dir=str(logs)) as running, httpx.Client(
                base_url=running.url, timeout=30,
                headers=bearer(settings, "tests-admin", admin=True)) as http:
            yield running, http
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


def apikey(settings: Settings, trader_id: str) -> tuple[str, str]:
    """`brokerage apikey create`, as a user runs it."""
    out = subprocess.run(
        [sys.executable, "-m", "brokerage.cli", "apikey", "create", "--trader", trader_id,
         "--json"], env={**os.environ, **settings.to_env()}, capture_output=True, text=True,
        check=True, timeout=60).stdout
    created = json.loads(out)
    return created["key_id"], created["secret_key"]


def listeners(http: httpx.Client) -> int:
    m = re.search(r"^brokerage_api_stream_listeners (\S+)$", http.get("/metrics").text, re.M)
    return int(float(m.group(1))) if m else 0


def client(key: tuple[str, str], url: str) -> Any:
    """The SDK's TradingClient (typed Any: its methods return models or raw dicts)."""
    return TradingClient(*key, url_override=url)


def _text(value: Any) -> str:
    return str(value.value if hasattr(value, "value") else value)  # enums as Alpaca sends them


def order(sdk: Any, o: Order, **want: str) -> Order:
    """Wait until the SDK's get_order_by_id shows all of `want`."""
    def check() -> Order | None:
        x = sdk.get_order_by_id(o.id)
        return x if all(_text(getattr(x, k)) == v for k, v in want.items()) else None

    found: Order = until(check, f"order {o.id} to have {want}")
    return found


def refused(call: Callable[[], Any]) -> APIError:
    with pytest.raises(APIError) as caught:
        call()
    return caught.value


def test_alpaca_py_against_the_stack(alpaca_stack: tuple[Running, httpx.Client]) -> None:
    assert version("alpaca-py") == ALPACA_PY  # the version README says is verified
    running, http = alpaca_stack
    settings = running.settings
    a, b = trader(), trader()
    assert http.post(f"/v1/traders/{a}/deposits", json={"amount": "50000.00"}).status_code == 201
    assert http.post(f"/v1/traders/{b}/deposits", json={"amount": "1000.00"}).status_code == 201
    assert http.post(f"/v1/traders/{b}/deposits",
                     json={"shares": 50, "symbol": "AAPL"}).status_code == 201
    key_a, key_b = apikey(settings, a), apikey(settings, b)
    alice, bob = client(key_a, running.url), client(key_b, running.url)
    stream_a, stream_b = Stream(key_a, running.url), Stream(key_b, running.url)
    until(lambda: listeners(http) == 2, "both streams to listen")

    # A limit buy larger than the market maker's best offer (100 at 190.09): partly filled.
    o1 = alice.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=150, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=190.09, client_order_id="a-1"))
    assert (o1.client_order_id, o1.qty, o1.limit_price) == ("a-1", "150", "190.09")
    part = order(alice, o1, status="partially_filled")
    assert (part.filled_qty, part.filled_avg_price) == ("100", "190.09")
    v1 = http.get(f"/v1/trades/{trade_id_for(a, 'a-1')}").json()
    assert v1["filled_quantity"] == 100 and v1["status"] == "PARTIALLY_FILLED"
    # The other trader's sell completes it.
    sold = bob.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=50, side=OrderSide.SELL, time_in_force=TimeInForce.DAY,
        limit_price=190.09))
    full = order(alice, o1, status="filled")
    assert (full.filled_qty, full.filled_avg_price) == ("150", "190.09")
    order(bob, sold, status="filled")
    assert alice.get_order_by_client_id("a-1").id == o1.id

    # A resting DAY order, replaced by a GTC one (a new order, as Alpaca's replace makes);
    # then the API is killed and restarted; then the replacement is canceled.
    o2 = alice.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=10, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        limit_price=150.00))
    order(alice, o2, status="new")
    o2b = alice.replace_order_by_id(o2.id, ReplaceOrderRequest(
        qty=20, limit_price=151.00, time_in_force=TimeInForce.GTC, client_order_id="a-2b"))
    assert o2b.id != o2.id and o2b.replaces == o2.id and o2b.client_order_id == "a-2b"
    live = order(alice, o2b, status="new", qty="20", limit_price="151.00",
                 time_in_force="gtc")
    old = order(alice, o2, status="replaced")
    assert (old.replaced_by, old.qty, _text(old.time_in_force)) == (o2b.id, "10", "day")
    assert old.replaced_at is not None and live.replaces == o2.id
    trade2 = http.get(f"/v1/trades/{trade_id_for(a, o2.client_order_id)}")
    assert (trade2.json()["time_in_force"], trade2.json()["quantity"]) == ("GTC", 20)
    at_exchange = httpx.get(f"{settings.exchange_url}/orders", params={"open": "true"}).json()
    [resting] = [o for o in at_exchange["orders"]
                 if o["client_order_id"].startswith(trade2.json()["trade_id"] + ":")]
    assert (resting["time_in_force"], resting["quantity"], resting["limit_price"]) == (
        "GTC", 20, 15_100)
    stale = refused(lambda: alice.replace_order_by_id(o2.id, ReplaceOrderRequest(qty=30)))
    assert (stale.status_code, stale.code) == (422, 42210000)
    assert refused(lambda: alice.cancel_order_by_id(o2.id)).status_code == 422
    until(lambda: "replaced" in stream_a.events(o2), "the replaced update")
    running.processes.kill("api")  # SIGKILL
    running.processes.start("api")
    until(lambda: _up(http) and listeners(http) == 2, "the streams to reconnect", timeout=90)
    alice.cancel_order_by_id(o2b.id)
    order(alice, o2b, status="canceled")
    assert _text(alice.get_order_by_id(o2.id).status) == "replaced"

    # Cancel all: one more resting order.
    o3 = alice.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=1, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=100.00))
    order(alice, o3, status="new")
    [cancel] = alice.cancel_orders()
    assert (str(cancel.id), cancel.status) == (str(o3.id), 200)
    order(alice, o3, status="canceled")
    assert alice.get_orders(GetOrdersRequest(status=QueryOrderStatus.OPEN)) == []
    assert {o.id for o in alice.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL))} == {
        o1.id, o2.id, o2b.id, o3.id}
    oldest = alice.get_orders(GetOrdersRequest(status=QueryOrderStatus.CLOSED, limit=2,
                                               direction=Sort.ASC, symbols=["AAPL"]))
    assert [o.id for o in oldest] == [o1.id, o2.id]
    later = alice.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, after=o2.created_at))
    assert [o.id for o in later] == [o3.id, o2b.id]  # newest first
    assert alice.get_orders(GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=["MSFT"])) == []

    # Refusals, as Alpaca answers them.
    dup = refused(lambda: alice.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=150, side=OrderSide.BUY, time_in_force=TimeInForce.GTC,
        limit_price=190.09, client_order_id="a-1")))
    assert (dup.status_code, dup.code, dup.message) == (
        422, 40010001, "client_order_id must be unique")
    poor = refused(lambda: alice.submit_order(LimitOrderRequest(
        symbol="AAPL", qty=1000, side=OrderSide.BUY, time_in_force=TimeInForce.DAY,
        limit_price=190.00, client_order_id="a-poor")))
    assert (poor.status_code, poor.code, poor.message) == (
        403, 40310000, "insufficient buying power")
    assert refused(lambda: alice.get_order_by_id(sold.id)).status_code == 404  # not hers

    # Account and positions against /v1.
    wallet = http.get(f"/v1/traders/{a}/wallet").json()
    available, blocked = (Decimal(wallet["cash"][k]) for k in ("available", "blocked"))
    acct = alice.get_account()
    assert Decimal(acct.cash or "") == available + blocked
    assert Decimal(acct.buying_power or "") == available
    assert Decimal(acct.equity or "") == available + blocked + 150 * Decimal("190.00")
    held = wallet["holdings"]["AAPL"]
    [pos] = alice.get_all_positions()
    assert (pos.symbol, pos.qty, pos.qty_available) == (
        "AAPL", str(held["available"] + held["blocked"]), str(held["available"]))
    assert pos.avg_entry_price == "190.09"
    assert alice.get_open_position("AAPL").qty == "150"
    assert [p.qty for p in bob.get_all_positions()] == []  # sold all 50
    assert alice.get_asset("AAPL").symbol == "AAPL" and alice.get_clock().is_open

    # The streams: each order's updates in order, and nobody else's.
    until(lambda: "canceled" in stream_a.events(o3), "the last update")
    assert stream_a.events(o1) == ["pending_new", "new", "partial_fill", "fill"]
    assert stream_a.events(o2) == ["pending_new", "new", "pending_replace", "replaced"]
    assert stream_a.events(o2b) == ["new", "pending_cancel", "canceled"]
    replaced = next(u for u in stream_a.updates if _text(u.event) == "replaced")
    assert replaced.order.id == o2.id and replaced.order.replaced_by == o2b.id
    assert stream_a.events(o3) == ["pending_new", "new", "pending_cancel", "canceled"]
    # The order refused at submit arrives as `rejected`, with its terms.
    until(lambda: [u for u in stream_a.updates if u.order.client_order_id == "a-poor"],
          "the rejected update")
    [poor_update] = [u for u in stream_a.updates if u.order.client_order_id == "a-poor"]
    assert _text(poor_update.event) == "rejected" and poor_update.order.qty == "1000"
    assert _text(poor_update.order.status) == "rejected"
    assert {u.order.id for u in stream_a.updates} == {o1.id, o2.id, o2b.id, o3.id,
                                                      poor_update.order.id}
    until(lambda: "fill" in stream_b.events(sold), "the seller's fill")
    assert {u.order.id for u in stream_b.updates} == {sold.id}
    for s in (stream_a, stream_b):
        s.sdk.stop()
        s.thread.join(30)

    # A revoked key stops working.
    subprocess.run([sys.executable, "-m", "brokerage.cli", "apikey", "revoke", key_b[0]],
                   env={**os.environ, **settings.to_env()}, check=True, timeout=60,
                   capture_output=True)
    gone = refused(bob.get_account)
    assert (gone.status_code, gone.code) == (401, 40110000)


def _up(http: httpx.Client) -> bool:
    try:
        return http.get("/healthz").status_code == 200
    except httpx.HTTPError:
        return False
