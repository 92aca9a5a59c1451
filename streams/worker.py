"""`brokerage worker`: one agent over requests and executions, thin glue around the handler."""

from __future__ import annotations

import json
from typing import Any

import faust
from faust.web import Request, Response, View
from prometheus_client import generate_latest

from brokerage.codec import avro
from brokerage.codec.models import order_to_record
from brokerage.codec.state import state_from_bytes
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.domain.requests import order_for
from brokerage.service.handler import Out, StateCache, envelope, handle, source_of

from . import metrics
from .app import create_app, raw_topic, trader_table


def build(settings: Settings, bootstrap: str, worker_id: str = "0") -> faust.App:
    app = create_app(settings, bootstrap, worker_id)
    refdata = refdata_mod.load(settings.refdata_path)
    table = trader_table(app, settings)
    cache = StateCache()
    sources = raw_topic(app, settings.topic_requests, settings.topic_executions)
    inputs = raw_topic(app, settings.topic_inputs)
    outs = {
        Out.RESPONSES: raw_topic(app, settings.topic_responses),
        Out.ORDERS: raw_topic(app, settings.topic_orders),
        Out.DEAD_LETTERS: raw_topic(app, settings.topic_dead_letters),
    }

    @app.agent(sources)
    async def sequence(stream: faust.StreamT[bytes]) -> None:
        """Merge requests and executions into one ordered log per trader: the order in which
        the rules see them, so a replay of that log rebuilds exactly the same state."""
        async for event in stream.events():
            msg = event.message
            key = msg.key if isinstance(msg.key, bytes) else None
            headers = envelope(msg.topic, msg.partition, msg.offset, int(msg.timestamp * 1000))
            # keyed: the same partitioner as the table, whichever one the producer used
            await inputs.send(key=key, value=event.value, headers=headers,
                              partition=None if key else msg.partition)

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for event in stream.events():
            msg = event.message
            src = source_of(msg.headers, msg.topic, msg.partition, msg.offset,
                            int(msg.timestamp * 1000), settings.topic_executions)
            with metrics.APPLY_SECONDS.time():
                key = msg.key if isinstance(msg.key, bytes) else None
                stored = table.get(key) if key else None
                result = handle(src, key, event.value, stored, refdata, cache)
                if result.state is not None and key:
                    table[key] = result.state  # the one write per event: atomic per trader
            metrics.EVENTS.labels(result.kind).inc()
            for s in result.sends:
                if s.to is Out.DEAD_LETTERS:
                    metrics.DEAD_LETTERS.labels(dict(s.headers)["dlq.code"].decode()).inc()
                await outs[s.to].send(key=s.key, value=s.value, headers=s.headers)

    @app.page("/state/traders/{trader_id}/")
    class TraderView(View):
        # faust's stubs don't know that match_info values arrive as keyword arguments
        @app.table_route(table=table, match_info="trader_id")  # type: ignore[arg-type]
        async def get(self, request: Request, trader_id: str) -> Response:
            raw = table.get(trader_id.encode())
            if raw is None:
                return self.json({"error": "not_found", "trader_id": trader_id}, status=404)
            return self.json(_json(avro.decode("trader_state", raw)))

    @app.page("/state/open-trades/")
    class OpenTradesView(View):
        """Open trades in this worker's partitions, with the exchange command each still
        waits for: what the connector reconciles against."""

        async def get(self, request: Request) -> Response:
            return self.json({"trades": [t for _, raw in table.items()
                                         for t in open_trades(raw)]})

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
                              if tp.topic == settings.topic_requests)
            body = {"ready": ready, "worker": worker_id, "partitions": assigned}
            return self.json(body, status=200 if ready else 503)

    return app


def open_trades(raw: bytes) -> list[dict[str, Any]]:
    state = state_from_bytes(raw)
    out = []
    for t in state.trades.values():
        if not t.status.terminal:
            order = order_for(t, state.trader_id)
            out.append({"trade_id": t.trade_id, "trader_id": state.trader_id,
                        "status": t.status.value, "cum_qty": t.cum_qty, "order_id": t.order_id,
                        "pending_order": order and order_to_record(order)})
    return out


def _json(record: dict[str, Any]) -> Any:
    return json.loads(json.dumps(record))


def run(settings: Settings, bootstrap: str, worker_id: str = "0") -> None:
    app = build(settings, bootstrap, worker_id)
    worker = faust.Worker(app, loglevel="info", quiet=True)
    worker.execute_from_commandline()
