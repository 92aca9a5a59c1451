"""Scenario: on one whole stack (sequencer, worker, exchange, connector, API) a trader deposits
cash, buys twice (one fills against the market maker, one rests below the market), and
overreaches once. We expect the exchange simulator, connector and sequencer to run at the
helpers' lower CPU priority and the rest at ours; every process's /metrics to show what
happened with exact values (accepted requests by type equal what we sent, one
INSUFFICIENT_FUNDS reject, a fill and a settled trade, blocked cash equal to the wallets',
API requests by route and status, the exchange round trips and a closed circuit), probes
that answer as Kubernetes expects, every log line to be one JSON object with the common
schema, and the trace id the API gave the filling buy to appear in the API, worker,
connector and exchange logs, on the order going out and on the fill coming back."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from brokerage.entrypoints.processes import HELPERS
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import buy, until, wait_status, wallet

pytestmark = pytest.mark.integration
SCHEMA = {"time", "level", "service", "logger", "message", "trace_id", "span_id", "request_id",
          "trade_id", "trader_id"}


def series(text: str, name: str, **labels: str) -> float | None:
    """The value of one series of a Prometheus text page (labels must match exactly)."""
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        if got == labels:
            return float(m.group(4))
    return None


def scrape(url: str) -> str:
    r = httpx.get(f"{url}/metrics", timeout=10)
    r.raise_for_status()
    return r.text


def log_lines(logs: Path, role: str) -> list[dict[str, Any]]:
    lines = [ln for ln in (logs / f"{role}.log").read_text().splitlines() if ln.strip()]
    parsed = []
    for ln in lines:
        obj = json.loads(ln)  # fails the test on any line that is not one JSON object
        assert isinstance(obj, dict) and SCHEMA <= obj.keys(), ln
        parsed.append(obj)
    return parsed


def test_metrics_probes_and_traced_json_logs(running_stack: Stack, tmp_path: Path) -> None:
    s, t = running_stack, trader()
    cfg = s.settings
    worker = cfg.worker_url_list()[0]
    connector = f"http://127.0.0.1:{cfg.connector_metrics_port}"
    assert s.deposit(t, amount="10000.00").status_code == 201
    filled = buy(s, t, "AAPL", 10, "191.00")
    assert filled.status_code == 201, filled.text
    resting = buy(s, t, "AAPL", 5, "150.00")  # far below the market maker's ask: stays open
    assert resting.status_code == 201, resting.text
    refused = buy(s, t, "MSFT", 100, "410.00")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "INSUFFICIENT_FUNDS"
    fill_id, rest_id = filled.json()["trade_id"], resting.json()["trade_id"]
    wait_status(s, fill_id, "FILLED")
    wait_status(s, rest_id, "NEW")

    # On one host the helpers yield the CPU to the worker (and the broker, and the API).
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    niceness = {role: os.getpriority(os.PRIO_PROCESS, p.pid) - mine
                for role, p in s.running.processes.procs.items()}
    assert niceness == {**{r: 0 for r in niceness},
                        **{r: cfg.stack_helper_nice for r in HELPERS}}, niceness

    # The worker counts what the rules answered, by type, outcome and reason.
    w = scrape(worker)
    assert series(w, "brokerage_requests_total", type="deposit", outcome="accepted",
                  reason="") == 1
    assert series(w, "brokerage_requests_total", type="new", outcome="accepted", reason="") == 2
    assert series(w, "brokerage_requests_total", type="new", outcome="rejected",
                  reason="INSUFFICIENT_FUNDS") == 1
    assert (series(w, "brokerage_fills_total") or 0) >= 1
    assert series(w, "brokerage_filled_shares_total") == 10
    assert series(w, "brokerage_trades_settled_total", status="FILLED") == 1
    assert series(w, "brokerage_dead_letters_total") is None  # none, so no series yet
    assert series(w, "brokerage_worker_recovering") == 0
    until(lambda: series(scrape(worker), "brokerage_worker_recovery_remaining_messages",
                         kind="active") == 0, "table recovery progress (sampled every 5 s)")
    assert "faust_messages_received_total" in w  # faust's own sensor
    # Blocked cash is the sum of what the wallets show blocked (one trader here).
    blocked = Decimal(wallet(s, t)["cash"]["blocked"])
    assert blocked > 0
    until(lambda: series(scrape(worker), "brokerage_blocked_cash_cents") == float(blocked * 100),
          "the worker's blocked-cash gauge to match the wallet")
    until(lambda: any(series(scrape(worker), "brokerage_consumer_lag_messages", group=cfg.app_id,
                             topic=cfg.topic_inputs, partition=str(p)) == 0
                      for p in range(cfg.partitions)), "the worker's lag per partition")

    # The API counts requests by route and status, and times request -> response.
    a = scrape(s.url)
    assert series(a, "brokerage_api_requests_total", route="/v1/trades", method="POST",
                  status="201") == 2
    assert series(a, "brokerage_api_requests_total", route="/v1/trades", method="POST",
                  status="422") == 1
    assert series(a, "brokerage_request_response_seconds_count", type="new") == 3
    assert series(a, "brokerage_request_response_seconds_count", type="deposit") == 1

    # The connector: circuit closed, exchange round trips timed, its lag per partition.
    c = scrape(connector)
    assert series(c, "brokerage_connector_breaker_state") == 0
    # Orders go in batches (one call per consumed batch): at least one call carried the two.
    assert (series(c, "brokerage_connector_exchange_round_trip_seconds_count", op="batch")
            or 0) >= 1
    assert series(c, "brokerage_connector_exchange_retries_total") is not None
    until(lambda: any(series(scrape(connector), "brokerage_consumer_lag_messages",
                             group=f"{cfg.app_id}-connector", topic=cfg.topic_orders,
                             partition=str(p)) == 0 for p in range(cfg.partitions)),
          "the connector's lag per partition")

    # Probes: live and ready everywhere.
    for url in (worker, s.url, connector):
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200, url
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200, url

    # One trace from the API through worker, connector and exchange, and back with the fill.
    trace_id = filled.headers["x-trace-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    logs = tmp_path / "logs"

    def traced(role: str) -> list[dict[str, Any]]:
        return [ln for ln in log_lines(logs, role) if ln["trace_id"] == trace_id]

    until(lambda: any(ln["trade_id"] == fill_id and "FILLED" in ln["message"]
                      for ln in traced("worker")), "the fill logged in the buy's trace")
    # Services write info lines through a buffer flushed every 0.2 s: wait for each.
    expected = {
        "the API's access line": lambda: any("POST /v1/trades 201" in ln["message"]
                                             for ln in traced("api")),
        "the API's line with the trade": lambda: any(
            ln["trade_id"] == fill_id and ln["trader_id"] == t for ln in traced("api")),
        "the worker's acceptance": lambda: any(
            ln["trade_id"] == fill_id and "accepted" in ln["message"] for ln in traced("worker")),
        "the connector's send": lambda: any(
            ln["trade_id"] == fill_id and "sent to the exchange" in ln["message"]
            for ln in traced("connector")),
        "the connector's publish": lambda: any(
            ln["trade_id"] == fill_id and "published" in ln["message"]
            for ln in traced("connector")),
    }
    for what, check in expected.items():
        until(check, what, timeout=10)
    until(lambda: traced("exchange-sim"), "the exchange's lines in the trace", timeout=10)
    services = {ln["service"] for role in ("api", "worker", "connector")
                for ln in log_lines(logs, role)}
    assert services == {"api", "worker", "connector"}
    # The signing key of the API's tokens is never written.
    secret = cfg.auth_secret.get_secret_value()
    assert all(secret not in (logs / f"{r}.log").read_text() for r in ("api", "worker"))
