"""The worker's web port: table reads (routed to the partition owner), open trades for the
connector's reconciliation, probes and metrics; and the recovery watch behind them."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import faust
from faust.types import TableT
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from brokerage.codec.models import order_to_record
from brokerage.codec.state import state_record
from brokerage.config import Settings
from brokerage.domain.requests import order_for
from brokerage.domain.state import TraderState

from . import metrics
from .unwritten import Unwritten, state_in, states_in

log = logging.getLogger("brokerage.worker")


def register(app: faust.App, table: TableT[bytes, bytes], settings: Settings,
             worker_id: str, unwritten: Unwritten | None = None) -> None:
    recovery_started: list[float] = []

    @app.timer(0.5)
    async def watch_recovery() -> None:
        """Make rebalances and table recovery visible: a gauge, a histogram and a log line."""
        busy = bool(app.rebalancing or app.in_recovery)
        metrics.RECOVERING.set(1 if busy else 0)
        if busy and not recovery_started:
            recovery_started.append(time.monotonic())
        elif not busy and recovery_started:
            took = time.monotonic() - recovery_started.pop()
            metrics.RECOVERY_SECONDS.observe(took)
            log.info("tables recovered in %.2fs", took)
        try:
            actives = app.assignor.assigned_actives()
        except (TypeError, AttributeError):
            actives = set()
        metrics.ASSIGNED.set(sum(tp.topic == settings.topic_inputs for tp in actives))

    @app.page("/state/traders/{trader_id}/")
    class TraderView(View):
        # faust's stubs don't know that match_info values arrive as keyword arguments
        @app.table_route(table=table, match_info="trader_id")  # type: ignore[arg-type]
        async def get(self, request: Request, trader_id: str) -> Response:
            state = state_in(trader_id.encode(), table, unwritten)
            if state is None:
                return self.json({"error": "not_found", "trader_id": trader_id}, status=404)
            return self.json(_json(state_record(state)))

    @app.page("/state/open-trades/")
    class OpenTradesView(View):
        """Open trades in this worker's partitions, with the exchange command each still
        waits for: what the connector reconciles against."""

        async def get(self, request: Request) -> Response:
            return self.json({"trades": [t for s in states_in(table, unwritten)
                                         for t in open_trades(s)]})

    @app.page("/metrics")
    class MetricsView(View):
        async def get(self, request: Request) -> Response:
            return self.bytes(generate_latest(), content_type="text/plain; version=0.0.4")

    @app.page("/healthz")
    class HealthView(View):
        async def get(self, request: Request) -> Response:
            return self.json({"status": "ok", "worker": worker_id})

    @app.page("/readyz")
    class ReadyView(View):
        async def get(self, request: Request) -> Response:
            recovery = app.tables.recovery  # type: ignore[attr-defined]  # not in faust's stubs
            ready = recovery.completed.is_set() and not app.rebalancing and not app.in_recovery
            try:
                actives = app.assignor.assigned_actives()
            except (TypeError, AttributeError):  # before the first assignment
                actives, ready = set(), False
            assigned = sorted(tp.partition for tp in actives
                              if tp.topic == settings.topic_inputs)
            body = {"ready": ready, "worker": worker_id, "partitions": assigned}
            return self.json(body, status=200 if ready else 503)



def open_trades(state: TraderState) -> list[dict[str, Any]]:
    out = []
    for t in state.trades.values():
        if not t.status.terminal:
            order = order_for(t, state.trader_id)
            out.append({"trade_id": t.trade_id, "trader_id": state.trader_id,
                        "status": t.status.value, "cum_qty": t.cum_qty, "order_id": t.order_id,
                        "created_ms": t.created_ms,  # when booked: a DAY order's session
                        "pending_order": order and order_to_record(order)})
    return out


def _json(record: dict[str, Any]) -> Any:
    return json.loads(json.dumps(record))
