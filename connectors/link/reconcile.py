"""After a (re)start of the connector or of the exchange (runner.py): compare the exchange's
open orders with the brokerage's open trades.

Differences seen twice, a little apart (so in-flight reports can land), are corrected where
that is safe (resend a pending instruction: idempotent by its client order id; cancel an
order the brokerage does not have open) and always alerted: an ERROR log line and a metric by kind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client import Counter

from .client import ExchangeClient
from .mapping import trade_of

log = logging.getLogger("brokerage.connector")
DIFFS = Counter("brokerage_connector_reconcile_differences_total",
                "Differences between exchange and brokerage", ["kind"])
RUNS = Counter("brokerage_connector_reconciliations_total", "Reconciliations completed")
PENDING = {"PENDING_NEW", "PENDING_CANCEL", "PENDING_REPLACE"}


@dataclass(frozen=True)
class Difference:
    kind: str  # ORPHAN_AT_EXCHANGE | MISSING_AT_EXCHANGE | NOT_SENT | QUANTITY_MISMATCH
    trade_id: str
    detail: str


def open_at_brokerage(worker_urls: list[str]) -> dict[str, dict[str, Any]]:
    trades: dict[str, dict[str, Any]] = {}
    with httpx.Client(timeout=30) as http:
        for url in worker_urls:
            for t in http.get(f"{url}/state/open-trades/").raise_for_status().json()["trades"]:
                trades[t["trade_id"]] = t
    return trades


def differences(exchange: list[dict[str, Any]], ours: dict[str, dict[str, Any]]
                ) -> list[Difference]:
    found, seen = [], set()
    for o in exchange:
        tid = trade_of(o["client_order_id"])
        seen.add(tid)
        t = ours.get(tid)
        if t is None:
            found.append(Difference("ORPHAN_AT_EXCHANGE", tid, o["client_order_id"]))
        elif t["cum_qty"] != o["cum_qty"]:
            found.append(Difference("QUANTITY_MISMATCH", tid,
                                    f"ours {t['cum_qty']}, exchange {o['cum_qty']}"))
    for tid, t in ours.items():
        if tid not in seen:
            kind = "NOT_SENT" if t["status"] in PENDING else "MISSING_AT_EXCHANGE"
            found.append(Difference(kind, tid, t["status"]))
    return found


def reconcile(client: ExchangeClient, worker_urls: list[str],
              resubmit: Callable[[dict[str, Any]], None], settle_seconds: float = 2.0
              ) -> list[Difference]:
    ours: dict[str, dict[str, Any]] = {}

    def snapshot() -> set[Difference]:
        orders = client.call("GET", "/orders", params={"open": "true"})["orders"]
        ours.update(open_at_brokerage(worker_urls))
        return set(differences(orders, ours))

    first = snapshot()
    if first:
        time.sleep(settle_seconds)
        ours.clear()
        first &= snapshot()
    by_id = {o["client_order_id"]: o
             for o in client.call("GET", "/orders", params={"open": "true"})["orders"]}
    for d in sorted(first, key=lambda d: (d.kind, d.trade_id)):
        DIFFS.labels(d.kind).inc()
        log.error("reconciliation: %s %s (%s)", d.kind, d.trade_id, d.detail)
        if d.kind == "ORPHAN_AT_EXCHANGE" and d.detail in by_id:
            client.call("POST", f"/orders/{d.detail}/cancel",
                        json={"client_order_id": f"{d.trade_id}:recon"})
        elif d.kind == "NOT_SENT" and ours[d.trade_id].get("pending_order"):
            resubmit(ours[d.trade_id])  # its pending order: idempotent at the exchange
    RUNS.inc()
    return sorted(first, key=lambda d: (d.kind, d.trade_id))
