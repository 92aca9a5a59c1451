"""Scenario: the exchange refuses connections for a while, the connector is killed with
SIGKILL mid-stream, and the exchange itself is killed and restarted, all while traders keep
trading. We expect no order lost or duplicated, every trade to reach its final state with
exactly its quantity filled once, balanced wallets, and the connector's circuit breaker to
go open -> half-open -> closed."""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Stack, trader
from tests.integration.helpers import balanced, buy, until, wait_status, wallet

pytestmark = pytest.mark.chaos


def reports(s: Stack) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    while True:
        page = httpx.get(f"{s.settings.exchange_url}/executions",
                         params={"after": out[-1]["seq"] if out else 0, "limit": 500}).json()
        if not page["reports"]:
            return out
        out += page["reports"]


def check_exactly_once(s: Stack, trades: dict[str, int], traders: list[str]) -> None:
    for tid, qty in trades.items():
        t = wait_status(s, tid, "FILLED", timeout=90)
        assert t["filled_quantity"] == qty == sum(f["quantity"] for f in t["fills"])
        assert len({f["exec_id"] for f in t["fills"]}) == len(t["fills"])
    acks = Counter(r["client_order_id"] for r in reports(s) if r["exec_type"] == "NEW")
    for tid in trades:
        assert acks[f"{tid}:0"] == 1, f"{tid} acknowledged {acks[f'{tid}:0']} times"
    for t in traders:
        assert balanced(wallet(s, t))


def metric(text: str, name: str, **labels: str) -> float:
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{name}{{{sel}}} (\S+)$" if sel else rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_exchange_outage_waits_then_delivers_everything(running_stack: Stack) -> None:
    s = running_stack
    traders = [trader() for _ in range(3)]
    for t in traders:
        assert s.deposit(t, amount="100000.00").status_code == 201
    httpx.post(f"{s.settings.exchange_url}/admin/outage", json={"seconds": 6}).raise_for_status()
    trades = {}
    for i in range(6):
        r = buy(s, traders[i % 3], "AAPL", 5, "191.00")
        assert r.status_code == 201, r.text
        trades[r.json()["trade_id"]] = 5
    held = [s.http.get(f"/v1/trades/{tid}").json()["status"] for tid in trades]
    assert held == ["PENDING_NEW"] * len(trades)  # waiting, not dropped or failed

    check_exactly_once(s, trades, traders)
    metrics_url = f"http://127.0.0.1:{s.settings.connector_metrics_port}/metrics"
    text = until(lambda: (m := httpx.get(metrics_url).text) and
                 metric(m, "brokerage_connector_breaker_state") == 0 and m, "breaker closed")
    name = "brokerage_connector_breaker_transitions_total"
    assert metric(text, name, to="open") >= 1
    assert metric(text, name, to="half_open") >= 1
    assert metric(text, name, to="closed") >= 1


def test_connector_and_exchange_killed_mid_stream(running_stack: Stack) -> None:
    s = running_stack
    procs = s.running.processes
    traders = [trader() for _ in range(4)]
    for t in traders:
        assert s.deposit(t, amount="200000.00").status_code == 201
    trades: dict[str, int] = {}

    def submit(n: int) -> None:
        for i in range(n):
            r = buy(s, traders[len(trades) % 4], "MSFT" if i % 2 else "GOOG", 2 + i % 3,
                    "415.00" if i % 2 else "180.00")
            assert r.status_code in (201, 202), r.text
            trades[r.json().get("trade_id") or r.json()["status_url"].rsplit("/", 1)[1]] = \
                2 + i % 3

    submit(10)
    procs.kill("connector", signal.SIGKILL)
    submit(10)  # booked and blocked while nobody talks to the exchange
    procs.start("connector")
    submit(10)
    time.sleep(1)
    procs.kill("exchange-sim", signal.SIGKILL)
    submit(5)
    procs.start("exchange-sim")
    check_exactly_once(s, trades, traders)


def test_reconciliation_after_restart_cancels_an_orphan(running_stack: Stack) -> None:
    """An order the brokerage never booked rests at the exchange (left by an earlier
    deployment, say). After a connector restart it is found, alerted and canceled."""
    s = running_stack
    venue = s.settings.exchange_url
    ghost = "ghost.00000000deadbeef:0"
    httpx.post(f"{venue}/orders", json={
        "client_order_id": ghost, "symbol": "NEWCO", "side": "BUY", "order_type": "LIMIT",
        "time_in_force": "GTC", "quantity": 100, "limit_price": 100}).raise_for_status()

    def open_ids() -> set[str]:
        orders = httpx.get(f"{venue}/orders", params={"open": "true"}).json()["orders"]
        return {o["client_order_id"] for o in orders}

    assert ghost in open_ids()
    s.running.processes.kill("connector", signal.SIGTERM)
    s.running.processes.start("connector")
    until(lambda: ghost not in open_ids(), "the orphan to be canceled", timeout=60)
    metrics_url = f"http://127.0.0.1:{s.settings.connector_metrics_port}/metrics"
    text = httpx.get(metrics_url).text
    assert metric(text, "brokerage_connector_reconcile_differences_total",
                  kind="ORPHAN_AT_EXCHANGE") >= 1
