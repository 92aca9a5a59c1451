"""`brokerage worker`: the rules agent over the merged input log; thin glue around the handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from time import monotonic, perf_counter
from typing import Any, cast

import faust

from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.observability import otel, trace
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.frames import Input, unpack
from brokerage.service.messages import Out, Send, source_of

from . import continuity as continuity_mod
from . import faust_fixes, metrics, observe, shutdown
from .app import at, create_app, raw_topic, trader_table
from .continuity import InputContinuity, Marks
from .direct import DirectTable
from .outputs import DeliveryFailed, Outputs
from .stalls import watch_stalls
from .unwritten import Unwritten
from .web import register

log = logging.getLogger("brokerage.worker")
YIELD_EVERY = 1_000  # inputs of a batch between turns of the event loop


def build(settings: Settings, bootstrap: str, worker_id: str = "0") -> faust.App:
    app = create_app(settings, bootstrap, worker_id)
    refdata = refdata_mod.load(settings.refdata_path)
    table = trader_table(app, settings)
    cache = StoredCache()
    inputs = raw_topic(app, settings.topic_inputs)
    outs = Outputs(bootstrap, {Out.RESPONSES: settings.topic_responses,
                               Out.ORDERS: settings.topic_orders,
                               Out.DEAD_LETTERS: settings.topic_dead_letters},
                   settings.kafka_linger_ms)
    direct = DirectTable(table, outs)  # the agent's reads and writes of the trader table

    offsets = continuity_mod.offsets_table(app, settings)
    continuity = InputContinuity(
        lambda p: continuity_mod.resume_at(app, offsets, settings.topic_inputs, p))

    marks = Marks()  # the offsets records, written before each commit
    unwritten = Unwritten(lambda: Batch(refdata, cache))

    def flush_states() -> None:
        """Write every trader the inputs changed since the last flush, each once, in order
        to its partition; then later inputs go into a fresh batch."""
        batch, last = unwritten.take()
        with metrics.WRITE_SECONDS.time():
            direct.write([(last[key], k, v)
                          for key, records in batch.writes().items() for k, v in records])

    @app.on_partitions_assigned.connect
    async def _on_assigned(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        continuity.forget()
        marks.clear()
        # Unwritten states are of inputs not committed (a commit writes them first): the
        # inputs come again, from the committed offsets, to whoever owns them now.
        unwritten.take()

    delivered: dict[int, int] = {}  # input partition -> last offset faust handed over
    watch_stalls(app, settings, bootstrap, continuity, delivered)

    async def outputs_delivered() -> None:
        try:
            direct.persist(await outs.delivered())
        except DeliveryFailed as exc:  # commit nothing: the restart reads the inputs again
            continuity_mod.restart(f"outputs not delivered: {exc}")

    def before_commit() -> None:
        flush_states()  # never commit inputs whose states are not written
        marks.write(offsets, continuity, {tp.partition for tp in app.assignor.assigned_actives()
                                          if tp.topic == settings.topic_inputs})

    faust_fixes.flush_also(app, outputs_delivered, before=before_commit)

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for events in cast(faust.Stream, stream).take_events(settings.worker_batch_max,
                                               within=settings.worker_batch_seconds):
            sends: list[Send] = []
            metrics.BATCHES.inc()
            done = 0
            for event in events:
                at(event)  # faust finds the partition of an offsets-table read by it
                msg = event.message
                delivered[msg.partition] = msg.offset
                missing = continuity.gap(msg.partition, msg.offset)
                if missing is not None:  # nothing of this batch is written or acknowledged
                    await continuity_mod.rewind_and_exit(app, msg.topic, msg.partition,
                                                         missing, msg.offset)
                read = direct.reader(msg.partition)
                for inp in unpack(input_of(msg, event.value)):  # a frame holds many
                    # The batch is looked up per input: a commit at the yield below writes
                    # it and starts another.
                    sends += apply(unwritten.batch, inp, read)
                    if inp.key:
                        unwritten.last[inp.key] = msg.partition
                    done += 1
                    if done % YIELD_EVERY == 0:  # a backlog's batch: let probes, timers run
                        # A commit meanwhile writes the states so far: their outputs go
                        # first, or a crash after it would lose them (a redelivered
                        # execution report is ignored, its update never sent again).
                        outs.send(sends)
                        sends = []
                        await asyncio.sleep(0)
            marks.note(events)
            if monotonic() - unwritten.since >= settings.worker_state_flush_seconds:
                flush_states()
            outs.send(sends)  # delivered before faust commits these inputs: see below

    def apply(batch: Batch, inp: Input, read: Callable[[bytes], bytes | None]) -> list[Send]:
        src = source_of(inp.headers, inp.topic, inp.partition, inp.offset, inp.timestamp_ms,
                        settings.topic_executions)
        key = inp.key
        # The trace the input carries goes on with everything it causes (README: Operating).
        with otel.span("apply", trace.from_headers(inp.headers), "consumer") as ctx, \
                trace.bound(ctx, trader_id=key.decode("utf-8", "replace") if key else None):
            started = perf_counter()
            result = batch.apply(src, key, inp.value, read)
            metrics.APPLY_SECONDS.observe(perf_counter() - started)
            metrics.events_of(result.kind).inc()
            observe.record(result)
            for s in result.sends:
                if s.to is Out.DEAD_LETTERS:
                    metrics.dead_letters_of(dict(s.headers)["dlq.code"].decode()).inc()
                s.headers.append(trace.header(ctx))
        return result.sends

    register(app, table, settings, worker_id, unwritten)
    observe.install(app, table, cache, settings, unwritten)
    return app


def input_of(msg: Any, value: Any) -> Input:
    """A faust message of trader-inputs, as `frames.unpack` takes it."""
    h = msg.headers or []
    headers = list(h.items()) if isinstance(h, Mapping) else [(k, v or b"") for k, v in h]
    return Input(msg.topic, msg.partition, msg.offset,
                 msg.key if isinstance(msg.key, bytes) else None,
                 value if isinstance(value, bytes) else None, headers,
                 int(msg.timestamp * 1000))


def run(settings: Settings, bootstrap: str, worker_id: str = "0") -> None:
    app = build(settings, bootstrap, worker_id)
    worker = shutdown.Worker(app, loglevel="info", quiet=True,
                             override_logging=False)  # keep our JSON logging
    worker.stop_seconds = settings.worker_stop_seconds
    worker.spinner = None  # it writes terminal escapes between the log lines
    worker.execute_from_commandline()
