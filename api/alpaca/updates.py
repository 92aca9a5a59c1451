"""Trade updates from Kafka to the stream's listeners, per trader, in order.

A thread reads every partition of the responses, executions and requests topics (the last
for the terms of a refused NEW) from where they were when this API started (no consumer
group: each replica sees everything), runs them through the Feed, and hands each trader's
updates to that trader's listening connections.
A restarted API picks up from its start; a client that reconnects gets what follows.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid

from confluent_kafka import TopicPartition
from prometheus_client import Gauge

from brokerage.adapters.kafka import consumer
from brokerage.codec import avro

from .feed import Feed, Update

log = logging.getLogger("brokerage.api.stream")
LISTENERS = Gauge("brokerage_api_stream_listeners",
                  "WebSocket connections listening to trade_updates")
QUEUE_LIMIT = 10_000  # updates waiting for one slow connection before it is dropped


class TradeUpdates:
    def __init__(self, bootstrap: str, responses: str, executions: str, requests: str) -> None:
        self._topics = (responses, executions, requests)
        self._consumer = consumer(bootstrap, f"api-stream-{uuid.uuid4().hex}",
                                  **{"enable.partition.eof": False})
        self._feed = Feed()
        self._listeners: dict[str, set[asyncio.Queue[Update | None]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-stream", daemon=True)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        tps = []
        for topic in self._topics:
            meta = self._consumer.list_topics(topic, timeout=30).topics[topic]
            if meta.error:
                raise RuntimeError(f"topic {topic}: {meta.error}")
            for p in meta.partitions:
                _, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=30)
                tps.append(TopicPartition(topic, p, high))
        self._consumer.assign(tps)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._consumer.close()

    def listen(self, trader_id: str, queue: asyncio.Queue[Update | None]) -> None:
        if queue not in self._listeners.setdefault(trader_id, set()):
            self._listeners[trader_id].add(queue)
            LISTENERS.inc()

    def unlisten(self, trader_id: str, queue: asyncio.Queue[Update | None]) -> None:
        queues = self._listeners.get(trader_id, set())
        if queue in queues:
            queues.discard(queue)
            LISTENERS.dec()
        if not queues:
            self._listeners.pop(trader_id, None)

    def _deliver(self, update: Update) -> None:  # on the event loop
        for q in list(self._listeners.get(update.trader_id, ())):
            if q.qsize() >= QUEUE_LIMIT:
                self.unlisten(update.trader_id, q)
                q.put_nowait(None)  # tells the connection it fell behind
            else:
                q.put_nowait(update)

    def _run(self) -> None:
        responses, executions, requests = self._topics
        while not self._stop.is_set():
            for msg in self._consumer.consume(200, timeout=0.05):
                # Both topics are keyed by trader: nobody listening, nothing to decode (an
                # ack that was skipped so is inferred once its wait is over).
                if msg.error() or (msg.key() or b"").decode("utf-8", "replace") not in (
                        self._listeners):
                    continue
                try:
                    if msg.topic() == executions:
                        rep = avro.decode("execution_report", msg.value() or b"")
                        self._feed.execution(rep["exec_id"], rep["exec_type"])
                    elif msg.topic() == responses:
                        rec = avro.decode("trade_event", msg.value() or b"")
                        self._feed.event(rec, msg.timestamp()[1], _now_ms())
                    elif msg.topic() == requests:
                        self._feed.request(avro.decode("trade_request", msg.value() or b""))
                except avro.DecodeError as exc:
                    log.warning("undecodable %s message: %s", msg.topic(), exc)
            for update in self._feed.release(_now_ms()):
                if update.trader_id in self._listeners and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._deliver, update)


def _now_ms() -> int:
    return int(time.monotonic() * 1000)
