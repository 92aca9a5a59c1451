"""`brokerage worker`: the rules agent over the merged input log; thin glue around the handler."""

from __future__ import annotations

import faust

from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.service.handler import Out, StateCache, handle, source_of

from . import metrics
from .app import create_app, raw_topic, trader_table
from .web import register


def build(settings: Settings, bootstrap: str, worker_id: str = "0") -> faust.App:
    app = create_app(settings, bootstrap, worker_id)
    refdata = refdata_mod.load(settings.refdata_path)
    table = trader_table(app, settings)
    cache = StateCache()
    inputs = raw_topic(app, settings.topic_inputs)
    outs = {
        Out.RESPONSES: raw_topic(app, settings.topic_responses),
        Out.ORDERS: raw_topic(app, settings.topic_orders),
        Out.DEAD_LETTERS: raw_topic(app, settings.topic_dead_letters),
    }

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

    register(app, table, settings, worker_id)
    return app


def run(settings: Settings, bootstrap: str, worker_id: str = "0") -> None:
    app = build(settings, bootstrap, worker_id)
    worker = faust.Worker(app, loglevel="info", quiet=True)
    worker.execute_from_commandline()
