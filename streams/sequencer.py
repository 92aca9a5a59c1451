"""`brokerage sequencer`: merge requests and executions into one ordered log per trader,
in frames: the inputs of a batch, per partition, in one message (service/frames.py).

A plain confluent-kafka loop with manual commits, not a Faust agent: offsets are committed
only after the copies are delivered. (As a Faust agent over two topics it lost ranges of
executions around rebalances in chaos runs; see README.) Redelivered copies are harmless:
the rules de-duplicate by request and execution id.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from confluent_kafka import KafkaException, Message, Producer

from brokerage.adapters.delivery import Deliveries, rewind
from brokerage.adapters.group import GroupMember
from brokerage.adapters.kafka import batching, consumer, membership, producer, producing
from brokerage.config import Settings
from brokerage.observability import trace
from brokerage.observability.metrics import LagSampler
from brokerage.observability.probes import Heartbeat, serve
from brokerage.service import frames

from .gather import Pace, gather

log = logging.getLogger("brokerage.sequencer")


def copy(out: Deliveries, topic: str, partitions: int, batch: list[Message]) -> None:
    """Each input to the partition of its key (a keyless one keeps its own: the rules
    dead-letter it), in frames per partition, in order (brokerage/service/frames.py)."""
    by_partition: dict[int, list[dict[str, Any]]] = {}
    for msg in batch:
        key, p = msg.key(), msg.partition() or 0
        to = frames.partition_for(key, partitions) if key else p % partitions
        by_partition.setdefault(to, []).append(frames.framed(
            msg.topic() or "", p, msg.offset() or 0, msg.timestamp()[1], key, msg.value(),
            trace.carried(msg.headers())))  # the trace goes on
    for to, items in by_partition.items():
        for value in frames.pack(items):
            out.produce(topic, value, partition=to)


def partition_count(prod: Producer, topic: str, stop: threading.Event) -> int:
    while True:
        try:
            meta = prod.list_topics(topic, timeout=10).topics[topic]
            if meta.error is None and meta.partitions:
                return len(meta.partitions)
            log.warning("no partitions for %s yet: %s", topic, meta.error)
        except KafkaException as exc:  # the broker starting
            log.warning("metadata for %s: %s", topic, exc)
        if stop.wait(1.0):
            raise SystemExit(0)


def run(settings: Settings, bootstrap: str, stop: threading.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    # A frame holds up to an input of MAX_INPUT_BYTES and its envelope.
    out = Deliveries(lambda **conf: producer(bootstrap, **conf),
                     **producing(settings), **{"message.max.bytes": 1_200_000})
    partitions = partition_count(out.producer, settings.topic_inputs, stop)
    member = GroupMember(lambda: consumer(bootstrap, f"{settings.app_id}-sequencer",
                                          **membership(settings), **batching(settings)),
                         [settings.topic_requests, settings.topic_executions])
    log.info("sequencing %s + %s -> %s", settings.topic_requests, settings.topic_executions,
             settings.topic_inputs)
    beat, lag = Heartbeat(), LagSampler(f"{settings.app_id}-sequencer")
    pace = Pace()
    probes = serve(settings.metrics_bind, settings.sequencer_metrics_port, beat.alive,
                   lambda: lag.ok)

    try:
        while not stop.is_set():
            # librdkafka's batch consume waits its whole timeout unless the batch fills: take
            # what is there at once, else wait for the first message only.
            most = settings.sequencer_batch_max
            got = gather(member, member.consume(most, timeout=0)
                         or member.consume(1, timeout=0.1), pace,
                         settings.sequencer_batch_ms / 1000, settings.sequencer_batch_above, most)
            batch = [m for m in got if not m.error()]
            beat.beat()
            lag(member.consumer)
            if not batch:
                continue
            copy(out, settings.topic_inputs, partitions, batch)
            if not out.settle(stop):  # delivered before committed
                if stop.is_set():
                    return
                rewind(member.consumer, batch)  # never past a copy that was not written
                continue
            try:
                member.consumer.commit(asynchronous=False)
            except KafkaException as exc:  # redelivered to whoever owns it next: harmless
                log.warning("commit failed: %s", exc)
    finally:
        out.close()
        member.close()
        if probes:
            probes.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop
