"""The API's link to Kafka: publish requests, and wait for their responses.

A background thread reads every partition of the response topic from the position it had
when the API started (no consumer group: each API instance sees every response) and
resolves the future registered for (trader_id, request_id).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from typing import Any

from confluent_kafka import TopicPartition
from prometheus_client import Histogram

from brokerage.adapters.kafka import consumer, producer
from brokerage.codec import avro
from brokerage.codec.models import request_to_record
from brokerage.domain.events import Request
from brokerage.observability import otel, trace
from brokerage.observability.eventlog import EventLog
from brokerage.observability.metrics import REQUEST_TYPES

log = logging.getLogger("brokerage.api")
events = EventLog()
RESPONSE_SECONDS = Histogram(
    "brokerage_request_response_seconds", "From publishing a request to its response, by type",
    ["type"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
Key = tuple[str, str]


class KafkaBridge:
    def __init__(self, bootstrap: str, requests_topic: str, responses_topic: str) -> None:
        self._requests, self._responses = requests_topic, responses_topic
        self._producer = producer(bootstrap)
        self._consumer = consumer(bootstrap, f"api-{uuid.uuid4().hex}", **{
            "enable.partition.eof": False})
        self._waiters: dict[Key, asyncio.Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-responses", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        meta = self._consumer.list_topics(self._responses, timeout=30).topics[self._responses]
        if meta.error:
            raise RuntimeError(f"response topic {self._responses}: {meta.error}")
        tps = []
        for p in meta.partitions:
            _, high = self._consumer.get_watermark_offsets(
                TopicPartition(self._responses, p), timeout=30)
            tps.append(TopicPartition(self._responses, p, high))
        self._consumer.assign(tps)  # concrete offsets: nothing after start-up is missed
        self._thread.start()

    def reachable(self) -> bool:
        # Ask through the producer: the consumer is busy in the response thread, and a
        # metadata call on it from here waited for that thread (tens of seconds, whatever
        # the timeout), which made /readyz time out.
        try:
            self._producer.list_topics(self._responses, timeout=2)
            return True
        except Exception:  # any client error means: not reachable now
            return False

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._producer.flush(5)
        self._consumer.close()

    async def submit(self, req: Request, timeout: float) -> dict[str, Any] | None:
        """Publish `req`; return its response record, or None if none came in time."""
        assert self._loop is not None
        key = (req.trader_id, req.request_id)
        fut: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        with self._lock:
            self._waiters[key] = fut  # registered before publishing: no lost wake-up
        kind = REQUEST_TYPES.get(type(req).__name__, "other")
        ids = {"request_id": req.request_id, "trader_id": req.trader_id,
               "trade_id": getattr(req, "trade_id", None)}
        started = time.perf_counter()
        try:
            value = avro.encode("trade_request", request_to_record(req))
            with otel.span("publish request", trace.current(), "producer") as ctx, \
                    trace.bound(ctx, **ids):
                self._producer.produce(self._requests, value, key=req.trader_id.encode(),
                                       headers=[trace.header(ctx)])
                events.info("request %s published", kind)
                rec = await asyncio.wait_for(fut, timeout)
                RESPONSE_SECONDS.labels(kind).observe(time.perf_counter() - started)
                events.info("request %s answered: %s %s", kind,
                            "accepted" if rec["accepted"] else "rejected",
                            rec["reason"] or "", trade_id=rec.get("trade_id"))
                return rec
        except TimeoutError:
            events.warning("request %s not answered within %.1fs", kind, timeout, **ids)
            return None
        finally:
            with self._lock:
                self._waiters.pop(key, None)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._producer.poll(0)
            for msg in self._consumer.consume(200, timeout=0.05):
                if msg.error():
                    continue
                try:
                    rec = avro.decode("trade_event", msg.value() or b"")
                except avro.DecodeError as exc:
                    log.warning("undecodable response: %s", exc)
                    continue
                if rec.get("kind") != "RESPONSE":
                    continue
                with self._lock:
                    fut = self._waiters.get((rec["trader_id"], rec["request_id"] or ""))
                if fut is not None and self._loop is not None:
                    self._loop.call_soon_threadsafe(_resolve, fut, rec)


def _resolve(fut: asyncio.Future[dict[str, Any]], rec: dict[str, Any]) -> None:
    if not fut.done():
        fut.set_result(rec)
