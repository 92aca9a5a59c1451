"""The sink's consumer loop: trader-inputs -> rules -> rows -> one transaction per batch.

Offsets live in the database, written in the batch's transaction; the consumer seeks to them
on every assignment. The group commit that follows is only for lag monitoring."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

import psycopg
from confluent_kafka import OFFSET_BEGINNING, Consumer, Message, TopicPartition

from brokerage.adapters.kafka import batching, consumer, membership
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.domain.state import TraderState
from brokerage.observability.metrics import LagSampler
from brokerage.observability.probes import Heartbeat, serve
from brokerage.service.frames import inputs_of

from . import store
from .apply import apply_batch
from .migrate import migrate
from .stats import Stats

log = logging.getLogger("brokerage.sink")


class Sink:
    def __init__(self, settings: Settings, bootstrap: str, dsn: str) -> None:
        self.s, self.topic = settings, settings.topic_inputs
        self.refdata = refdata_mod.load(settings.refdata_path)
        self.dsn = dsn
        self.conn = psycopg.connect(dsn, application_name="brokerage-sink")
        applied = migrate(self.conn)
        if applied:
            log.info("applied migrations %s", applied)
        group = settings.sink_group_id or f"{settings.app_id}-sink-postgres"
        self.consumer: Consumer = consumer(bootstrap, group, **membership(settings),
                                           **batching(settings))
        self.positions: dict[int, int | None] = {}  # per assigned partition: the DB's offset
        self.cache: dict[str, TraderState] = {}
        self.stats = Stats()
        self.beat, self.lag = Heartbeat(), LagSampler(group)  # probes and lag per partition

    def _on_assign(self, c: Consumer, parts: list[TopicPartition]) -> None:
        db = store.load_offsets(self.conn, self.topic)
        for tp in parts:
            self.positions[tp.partition] = db.get(tp.partition)
            tp.offset = db.get(tp.partition, OFFSET_BEGINNING)
        self.cache.clear()  # another sink may have moved these traders on meanwhile
        c.assign(parts)
        log.info("assigned %s", {tp.partition: tp.offset for tp in parts})

    def _on_revoke(self, c: Consumer, parts: list[TopicPartition]) -> None:
        for tp in parts:
            self.positions.pop(tp.partition, None)
        self.cache.clear()

    def _rewind(self) -> None:
        """After a failed batch: back to what the database holds."""
        self.cache.clear()
        db = store.load_offsets(self.conn, self.topic)
        for p in list(self.positions):
            self.positions[p] = db.get(p)
            self.consumer.seek(TopicPartition(self.topic, p, db.get(p, OFFSET_BEGINNING)))

    def step(self, timeout: float = 0.5) -> int:
        """Consume and store one batch; the number of inputs stored."""
        msgs = [m for m in self.consumer.consume(self.s.sink_batch_size, timeout)
                if m.error() is None and self._wanted(m)]
        if not msgs:
            return 0
        started = time.perf_counter()
        inputs = [i for m in msgs for i in inputs_of(m)]  # a frame holds many
        traders = {i.key.decode("utf-8", "replace") for i in inputs if i.key}
        missing = traders - self.cache.keys()
        known = {**store.load_states(self.conn, missing), **self.cache} if missing else self.cache
        batch = apply_batch(inputs, known, self.refdata, self.s.topic_executions)
        expected = {p: self.positions.get(p) for p in batch.next_offsets}
        try:
            store.write(self.conn, self.topic, batch.rows, batch.states, expected,
                        batch.next_offsets, self._fault)
        except (psycopg.Error, store.OffsetConflict) as exc:
            log.warning("batch not stored, rewinding: %s", exc)
            self._recover()
            return 0
        if len(self.cache) > 50_000:  # bounded: the database has every state anyway
            self.cache.clear()
        self.cache.update({t: s for t, (s, _) in batch.states.items()})
        self.positions.update(batch.next_offsets)
        self.consumer.commit(offsets=[TopicPartition(self.topic, p, o)
                                      for p, o in batch.next_offsets.items()], asynchronous=True)
        self.stats.inputs += batch.inputs
        self.stats.rows += batch.rows.count()
        self.stats.batches += 1
        self.stats.seconds += time.perf_counter() - started
        return batch.inputs

    def _wanted(self, m: Message) -> bool:
        # Assigned, and not before what the database already has (a late fetch after a seek).
        p = m.partition() or 0
        return p in self.positions and (m.offset() or 0) >= (self.positions[p] or 0)

    def _recover(self) -> None:
        time.sleep(1.0)
        try:
            if self.conn.closed or self.conn.broken:
                self.conn = psycopg.connect(self.dsn, application_name="brokerage-sink")
            self._rewind()
        except psycopg.Error as exc:  # still down: the next batch tries again
            log.warning("database unavailable: %s", exc)

    def _fault(self) -> None:
        crash_at = self.s.sink_crash_after_batches
        if crash_at and self.stats.batches + 1 >= crash_at:
            log.warning("fault injection: SIGKILL before committing batch %d", crash_at)
            os.kill(os.getpid(), signal.SIGKILL)

    def behind(self) -> int | None:
        """Inputs not yet stored, over all partitions; None until every partition is ours."""
        meta = self.consumer.list_topics(self.topic, timeout=10).topics[self.topic]
        if set(meta.partitions) != set(self.positions):
            return None
        total = 0
        for p, pos in self.positions.items():
            low, high = self.consumer.get_watermark_offsets(
                TopicPartition(self.topic, p), timeout=10, cached=False)
            fetched = self.consumer.position([TopicPartition(self.topic, p)])[0].offset
            total += max(0, high - max(pos or low, fetched))
        return total

    def run(self, stop: threading.Event, until_caught_up: bool = False) -> Stats:
        self.consumer.subscribe([self.topic], on_assign=self._on_assign,
                                on_revoke=self._on_revoke)
        log.info("sink: %s -> PostgreSQL", self.topic)
        reported = time.monotonic()
        probes = serve(self.s.metrics_bind, self.s.sink_metrics_port, self.beat.alive,
                       lambda: self.lag.ok)
        try:
            while not stop.is_set():
                self.beat.beat()
                self.lag(self.consumer)
                if not self.step() and until_caught_up and self.behind() == 0:
                    break
                if time.monotonic() - reported > 30 and self.stats.batches:
                    log.info("stored %s", self.stats.line())
                    reported = time.monotonic()
        finally:
            if probes:
                probes.close()
            self.consumer.close()
            self.conn.close()
        return self.stats
