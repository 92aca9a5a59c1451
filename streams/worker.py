"""`brokerage worker`: the rules agent over the merged input log; thin glue around the handler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, cast

import faust
from faust.types import EventT

from brokerage.adapters import kafka
from brokerage.codec import compiled
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.observability.metrics import Tally
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.frames import unpack
from brokerage.service.messages import Out, Send

from . import continuity as continuity_mod
from . import faust_fixes, handover, metrics, observe, positions, shutdown
from .app import at, create_app, raw_topic, trader_table
from .commits import GroupCommits
from .continuity import InputContinuity, Marks
from .direct import DirectTable
from .inputs import apply, input_of
from .outputs import DeliveryFailed, Outputs
from .stalls import watch_stalls
from .states import StateWrites
from .unwritten import Unwritten
from .web import register

log = logging.getLogger("brokerage.worker")
YIELD_EVERY = 1_000  # inputs of a batch between turns of the event loop


def build(settings: Settings, bootstrap: str, worker_id: str = "0") -> faust.App:
    app = create_app(settings, bootstrap, worker_id)
    metrics.NATIVE.set(compiled.NATIVE is not None)
    refdata = refdata_mod.load(settings.refdata_path)
    table = trader_table(app, settings)
    cache = StoredCache()
    inputs = raw_topic(app, settings.topic_inputs)
    outs = Outputs(bootstrap, {Out.RESPONSES: settings.topic_responses,
                               Out.ORDERS: settings.topic_orders,
                               Out.DEAD_LETTERS: settings.topic_dead_letters},
                   kafka.producing(settings))
    direct = DirectTable(table, outs)  # the agent's reads and writes of the trader table

    offsets = continuity_mod.offsets_table(app, settings)
    # The probe never joins the group: it only reads the group's commits.
    commits = GroupCommits(kafka.consumer(bootstrap, settings.app_id), settings.topic_inputs)
    continuity = InputContinuity(
        lambda p: continuity_mod.resume_at(commits.get(p), offsets, p))

    marks = Marks()  # the offsets records, written before each commit
    unwritten = Unwritten(lambda: Batch(refdata, cache))

    # Written behind the rules, a few per batch; inputs acknowledged once their states are.
    states = StateWrites(app, direct, unwritten, settings.worker_state_flush_seconds)

    @app.timer(max(0.05, settings.worker_state_flush_seconds / 10))
    async def write_when_idle() -> None:
        states.due()  # the agent does it after each batch; without inputs, this does

    @app.on_partitions_assigned.connect
    async def _on_assigned(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        continuity.forget()
        commits.forget()
        marks.clear()
        states.drop()  # the revocation before wrote them all: this is for a path that did not

    delivered: dict[int, int] = {}  # input partition -> last offset faust handed over
    watch_stalls(app, settings, bootstrap, continuity, commits, offsets, delivered)

    async def outputs_delivered() -> None:
        try:
            direct.persist(await outs.delivered())
        except DeliveryFailed as exc:  # commit nothing: the restart reads the inputs again
            continuity_mod.restart(f"outputs not delivered: {exc}")

    def before_commit() -> None:
        marks.write(offsets, continuity, {tp.partition for tp in app.assignor.assigned_actives()
                                          if tp.topic == settings.topic_inputs})

    faust_fixes.flush_also(app, outputs_delivered, before=before_commit)
    faust_fixes.before_wait_empty(app, states.all)  # held inputs are waited for too
    positions.position_before_delivery(app, settings.topic_inputs)

    async def apply_all(events: Sequence[EventT]) -> bool:
        """Apply a batch of input frames; False if a rebalance at a yield cut it short."""
        generation = app.consumer_generation_id
        sends: list[Send] = []
        tally = Tally()  # the inputs' metrics, added once per batch
        metrics.BATCHES.inc()
        done = 0
        for event in events:
            at(event)  # faust finds the partition of an offsets-table read by it
            msg = event.message
            missing = continuity.gap(msg.partition, msg.offset)
            if missing is not None:  # nothing of this batch is written or acknowledged
                # What each source said: a rare hole (1 in ~15 kills) is told from its log.
                detail = (f", group commit read at assignment {commits.get(msg.partition)}, "
                          f"now {await commits.now(msg.partition)}")
                await continuity_mod.rewind_and_exit(app, offsets, msg.topic, msg.partition,
                                                     missing, msg.offset, detail)
            delivered[msg.partition] = msg.offset
            read = direct.reader(msg.partition)
            for inp in unpack(input_of(msg, event.value)):  # a frame holds many
                # The batch is looked up per input: a commit at the yield below writes it
                # and starts another.
                sends += apply(unwritten.batch, inp, read, settings.topic_executions, tally)
                if inp.key:
                    unwritten.last[inp.key] = msg.partition
                done += 1
                if done % YIELD_EVERY == 0:  # a backlog's batch: let probes, timers run
                    # The idle timer (or a rebalance) may write states meanwhile: their
                    # outputs go first, or a crash after it would lose them (a redelivered
                    # execution report is ignored, its update never sent again).
                    outs.send(sends)
                    sends = []
                    tally.flush()
                    await asyncio.sleep(0)
                    if app.consumer_generation_id != generation:
                        return False
        marks.note(events)
        tally.flush()
        outs.send(sends)  # before the states that reflect them are written
        states.applied(events)
        return True

    @app.agent(inputs)
    async def process(stream: faust.StreamT[bytes]) -> None:
        async for fetched in cast(faust.Stream, stream).take_events(settings.worker_batch_max,
                                                within=settings.worker_batch_seconds):
            generation = app.consumer_generation_id
            events = handover.current(app, fetched, generation)
            # Once per assignment; a broker that cannot say for 30 s: restart.
            await commits.load({e.message.partition for e in events}, patience=30.0)
            if app.consumer_generation_id != generation or not await apply_all(events):
                # Rebalanced meanwhile: none of it is acknowledged; it all comes again.
                handover.drop(app, fetched)

    register(app, table, settings, worker_id, unwritten)
    observe.install(app, table, cache, settings, unwritten)
    return app


def run(settings: Settings, bootstrap: str, worker_id: str = "0") -> None:
    app = build(settings, bootstrap, worker_id)
    worker = shutdown.Worker(app, loglevel="info", quiet=True,
                             override_logging=False)  # keep our JSON logging
    worker.stop_seconds = settings.worker_stop_seconds
    worker.spinner = None  # it writes terminal escapes between the log lines
    worker.execute_from_commandline()
