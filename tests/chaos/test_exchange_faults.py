"""Scenario: the exchange refuses connections for a while; the connector is killed with
SIGKILL while the exchange holds its answers (orders applied there, never acknowledged, each
filling against several market-maker levels); the exchange itself is killed and restarted;
all while traders keep trading. We expect the trades to wait in PENDING_NEW while the
exchange is away, every order to reach the exchange exactly once, every trade to reach its
final state with exactly its quantity filled once, balanced wallets, and the connector's
circuit breaker to go open -> half-open -> closed during the outage."""

from __future__ import annotations

import signal
from collections import Counter

import httpx
import pytest

from brokerage.bench.samplers import GroupLag
from tests.chaos.exchange_probe import connector_metrics, metric, reports, set_faults
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import balanced, buy, until, wait_status, wallet

pytestmark = pytest.mark.chaos
BREAKER = "brokerage_connector_breaker_transitions_total"


def check_exactly_once(s: Stack, trades: dict[str, int], traders: list[str]) -> None:
    for tid, qty in trades.items():
        t = wait_status(s, tid, "FILLED", timeout=90)
        assert t["filled_quantity"] == qty == sum(f["quantity"] for f in t["fills"])
        assert len({f["exec_id"] for f in t["fills"]}) == len(t["fills"])
    acks, filled = Counter[str](), Counter[str]()
    for r in reports(s):
        if r["exec_type"] == "NEW":
            acks[r["client_order_id"]] += 1
        elif r["exec_type"] == "TRADE":
            filled[r["client_order_id"]] += r["last_qty"]
    for tid, qty in trades.items():  # the venue took each order once, and filled it once
        assert acks[f"{tid}:0"] == 1, f"{tid} acknowledged {acks[f'{tid}:0']} times"
        assert filled[f"{tid}:0"] == qty, f"{tid} filled {filled[f'{tid}:0']} of {qty}"
    for t in traders:
        assert balanced(wallet(s, t))


def test_exchange_outage_waits_then_delivers_everything(running_stack: Stack) -> None:
    s = running_stack
    traders = [trader() for _ in range(3)]
    for t in traders:
        assert s.deposit(t, amount="100000.00").status_code == 201
    before = {to: metric(connector_metrics(s), BREAKER, to=to)
              for to in ("open", "half_open", "closed")}
    httpx.post(f"{s.settings.exchange_url}/admin/outage", json={"seconds": 15}
               ).raise_for_status()
    trades = {}
    for i in range(6):
        r = buy(s, traders[i % 3], "AAPL", 5, "191.00")
        assert r.status_code == 201, r.text
        trades[r.json()["trade_id"]] = 5
    until(lambda: metric(connector_metrics(s), BREAKER, to="open") > before["open"],
          "the breaker to open")
    held = [s.http.get(f"/v1/trades/{tid}").json()["status"] for tid in trades]
    with pytest.raises(httpx.ConnectError):  # so the statuses were read during the outage
        httpx.get(f"{s.settings.exchange_url}/healthz", timeout=2)
    assert held == ["PENDING_NEW"] * len(trades)  # waiting, not dropped or failed

    check_exactly_once(s, trades, traders)
    text = until(lambda: (m := connector_metrics(s)) and
                 metric(m, "brokerage_connector_breaker_state") == 0 and m, "breaker closed")
    for to, count in before.items():  # each step of open -> half-open -> closed, this outage
        assert metric(text, BREAKER, to=to) > count, to


def test_connector_killed_with_orders_unacknowledged(running_stack: Stack) -> None:
    s = running_stack
    procs = s.running.processes
    traders = [trader() for _ in range(4)]
    for t in traders:
        assert s.deposit(t, amount="1000000.00").status_code == 201
    trades: dict[str, int] = {}

    def submit(n: int, qty: int) -> list[str]:
        new = []
        for _ in range(n):  # 250 MSFT at 415.00 takes three 100-share levels (410.20-410.60)
            r = buy(s, traders[len(trades) % 4], "MSFT", qty, "415.00")
            assert r.status_code in (201, 202), r.text
            new.append(r.json().get("trade_id") or r.json()["status_url"].rsplit("/", 1)[1])
            trades[new[-1]] = qty
        return new

    for tid in submit(4, 3):  # acknowledged: the connector must not be mid-batch below
        wait_status(s, tid, "FILLED")
    # Answers held past the connector's 5 s HTTP timeout: what it sends now is applied at
    # the venue and never acknowledged, so its offsets stay uncommitted.
    set_faults(s, latency_ms=30_000)
    held = submit(6, 250)
    applied = until(lambda: {r["client_order_id"] for r in reports(s)} & {f"{t}:0" for t in held},
                    "the venue to apply an order the connector waits on")
    procs.kill("connector", signal.SIGKILL)
    lag = GroupLag(s.settings.kafka_bootstrap_servers, f"{s.settings.app_id}-connector",
                   [s.settings.topic_orders])
    try:
        assert lag() >= len(applied)  # consumed and applied, not committed: it is sent again
        set_faults(s, latency_ms=0)
        submit(4, 250)  # booked and blocked while nobody talks to the exchange
        procs.start("connector")
        submit(4, 250)
        until(lambda: lag() == 0, "every order acknowledged and committed", timeout=90)
    finally:
        lag.close()
    procs.kill("exchange-sim", signal.SIGKILL)
    submit(4, 2)
    procs.start("exchange-sim")
    check_exactly_once(s, trades, traders)
    text = until(lambda: (m := connector_metrics(s)) and
                 metric(m, "brokerage_connector_exchange_restarts_total") == 1 and m,
                 "the connector to notice the exchange's restart")
    assert metric(text, "brokerage_connector_seq_regressions_total") == 0  # journal: no loss
