"""Scenario: traders trade through the real exchange simulator, over the connector, on a real
broker: resting orders, partial fills, amends up and down, an amend of the time in force
(DAY to GTC, and a refused one to IOC), a cancel of a partly filled order, and an exchange
reject. The tests share one stack; each trades its own listed symbol that no market maker
quotes (a copy of NEWCO), so they make their own liquidity and never meet each other's orders.
We expect every status and wallet along the way to be exact."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from brokerage.domain import refdata
from tests.integration.conftest import Stack, fresh_name, serving, stack_settings, trader
from tests.integration.helpers import buy, cash, sell, trade, until, wait_status, wallet

pytestmark = pytest.mark.integration
FEE_MIN = Decimal("1.00")
SYMBOLS = [f"NEWCO{i}" for i in range(1, 10)]
_next = itertools.count()


@pytest.fixture(scope="module")
def link(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("link")
    shipped = refdata.DEFAULT_PATH.read_text()
    extra = "".join(f"\n[symbols.{n}]\ntick_minor = 1\nlot = 100\n" for n in SYMBOLS)
    (root / "refdata.toml").write_text(shipped + extra)
    settings = stack_settings(kafka_bootstrap, root / "state", fresh_name).model_copy(
        update={"refdata_path": root / "refdata.toml"})
    with serving(settings, root / "logs") as s:
        yield s


@pytest.fixture
def sym() -> str:
    """A symbol no other test of the module trades."""
    return SYMBOLS[next(_next)]


def seeded(s: Stack, sym: str, cash_amount: str = "100000.00", shares: int = 0) -> str:
    t = trader()
    assert s.deposit(t, amount=cash_amount).status_code == 201
    if shares:
        assert s.deposit(t, shares=shares, symbol=sym).status_code == 201
    return t


def test_partial_fill_then_fill(link: Stack, sym: str) -> None:
    s = link
    seller, buyer = seeded(s, sym, shares=300), seeded(s, sym)
    ask = sell(s, seller, sym, 100, "10.00").json()["trade_id"]
    wait_status(s, ask, "NEW")
    assert wallet(s, seller)["holdings"][sym] == {"available": 200, "blocked": 100}

    bid = buy(s, buyer, sym, 300, "10.00").json()["trade_id"]
    t = wait_status(s, bid, "PARTIALLY_FILLED")
    assert t["filled_quantity"] == 100 and t["fills"][0]["price"] == "10.00"
    available, blocked = cash(s, buyer)
    # 100 bought for 1000.00 + the 1.00 minimum fee. Still blocked: 200 x 10.00 plus the
    # rest of the fee the whole order can cost (1.50 on 3000.00, less the 1.00 paid).
    assert blocked == Decimal("2000.50")
    assert available == Decimal("100000.00") - Decimal("1001.00") - blocked
    assert wait_status(s, ask, "FILLED")["filled_quantity"] == 100

    sell(s, seller, sym, 200, "10.00")
    t = wait_status(s, bid, "FILLED")
    assert [f["quantity"] for f in t["fills"]] == [100, 200]
    available, blocked = cash(s, buyer)
    assert blocked == 0
    assert available == Decimal("100000.00") - Decimal("3000.00") - Decimal(t["fees"])
    assert wallet(s, buyer)["holdings"][sym] == {"available": 300, "blocked": 0}
    assert wallet(s, seller)["holdings"] == {}


def test_amend_up_and_down(link: Stack, sym: str) -> None:
    s = link
    b = seeded(s, sym, cash_amount="10000.00")
    tid = buy(s, b, sym, 200, "5.00").json()["trade_id"]
    wait_status(s, tid, "NEW")
    assert cash(s, b)[1] == Decimal("1000.00") + FEE_MIN

    r = s.http.patch(f"/v1/trades/{tid}", json={"quantity": 400})
    assert r.status_code == 200, r.text
    t = wait_status(s, tid, "NEW")
    assert t["quantity"] == 400 and cash(s, b)[1] == Decimal("2000.00") + FEE_MIN

    r = s.http.patch(f"/v1/trades/{tid}", json={"quantity": 100, "limit_price": "4.00"})
    assert r.status_code == 200, r.text
    t = wait_status(s, tid, "NEW")
    assert (t["quantity"], t["limit_price"]) == (100, "4.00")
    assert cash(s, b) == (Decimal("10000.00") - Decimal("400.00") - FEE_MIN,
                          Decimal("400.00") + FEE_MIN)

    # An amend the trader cannot afford is refused and the old order stands.
    r = s.http.patch(f"/v1/trades/{tid}", json={"quantity": 5000})
    assert r.status_code == 422 and r.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    assert wait_status(s, tid, "NEW")["quantity"] == 100


def test_amend_the_time_in_force(link: Stack, sym: str) -> None:
    """A DAY order made GTC: the exchange's order changes too, and IOC is refused."""
    s = link
    b = seeded(s, sym, cash_amount="10000.00")
    tid = buy(s, b, sym, 100, "5.00").json()["trade_id"]
    wait_status(s, tid, "NEW")
    r = s.http.patch(f"/v1/trades/{tid}", json={"time_in_force": "GTC"})
    assert r.status_code == 200, r.text
    until(lambda: trade(s, tid)["time_in_force"] == "GTC", "the replace to be confirmed")
    assert wait_status(s, tid, "NEW")["quantity"] == 100
    open_ = httpx.get(f"{s.settings.exchange_url}/orders", params={"open": "true"}).json()
    [mine] = [o for o in open_["orders"] if o["client_order_id"].startswith(tid + ":")]
    assert (mine["client_order_id"], mine["time_in_force"]) == (f"{tid}:r1", "GTC")
    assert cash(s, b)[1] == Decimal("500.00") + FEE_MIN  # the block is unchanged

    r = s.http.patch(f"/v1/trades/{tid}", json={"time_in_force": "IOC"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "INVALID_TIME_IN_FORCE"


def test_cancel_of_a_partly_filled_order(link: Stack, sym: str) -> None:
    s = link
    seller, b = seeded(s, sym, shares=100), seeded(s, sym, cash_amount="5000.00")
    tid = buy(s, b, sym, 300, "7.00").json()["trade_id"]
    wait_status(s, tid, "NEW")
    sell(s, seller, sym, 100, "7.00")
    wait_status(s, tid, "PARTIALLY_FILLED")

    assert s.http.delete(f"/v1/trades/{tid}").status_code == 200
    t = wait_status(s, tid, "CANCELED")
    assert t["filled_quantity"] == 100 and t["blocked_cash"] == "0.00"
    assert cash(s, b) == (Decimal("5000.00") - Decimal("700.00") - FEE_MIN, 0)
    assert wallet(s, b)["holdings"][sym] == {"available": 100, "blocked": 0}


def test_exchange_reject_releases_the_block(link: Stack, sym: str) -> None:
    s = link
    b = seeded(s, sym, cash_amount="5000.00")
    venue = s.settings.exchange_url
    httpx.post(f"{venue}/admin/faults", json={"reject_rate": 1.0}).raise_for_status()
    try:
        tid = buy(s, b, "AAPL", 10, "191.00").json()["trade_id"]
        assert wait_status(s, tid, "REJECTED")["filled_quantity"] == 0
    finally:
        httpx.post(f"{venue}/admin/faults", json={"reject_rate": 0.0}).raise_for_status()
    assert cash(s, b) == (Decimal("5000.00"), 0)


def test_the_close_expires_day_orders_and_keeps_gtc_ones(link: Stack, sym: str) -> None:
    """The venue's end of day (what its daily close, BROKERAGE_EXCHANGE_CLOSE_UTC, runs):
    a resting DAY buy ends EXPIRED with its whole block released, a partly filled DAY sell
    keeps its fill and releases the rest, and a GTC buy stays open."""
    s = link
    b, seller = seeded(s, sym, cash_amount="10000.00"), seeded(s, sym, shares=200)
    day = buy(s, b, sym, 100, "4.00").json()["trade_id"]
    gtc = buy(s, b, sym, 100, "3.00", time_in_force="GTC").json()["trade_id"]
    ask = sell(s, seller, sym, 200, "9.00").json()["trade_id"]
    for tid in (day, gtc, ask):
        wait_status(s, tid, "NEW")
    buyer2 = seeded(s, sym, cash_amount="1000.00")
    r = buy(s, buyer2, sym, 100, "9.00")
    assert r.status_code == 201, r.text
    wait_status(s, r.json()["trade_id"], "FILLED")
    wait_status(s, ask, "PARTIALLY_FILLED")

    httpx.post(f"{s.settings.exchange_url}/admin/end-of-day").raise_for_status()
    assert wait_status(s, day, "EXPIRED")["blocked_cash"] == "0.00"
    t = wait_status(s, ask, "EXPIRED")
    assert t["filled_quantity"] == 100
    assert wallet(s, seller)["holdings"][sym] == {"available": 100, "blocked": 0}
    assert trade(s, gtc)["status"] == "NEW"
    assert cash(s, b)[1] == Decimal("300.00") + FEE_MIN  # only the GTC order's block is left
