"""Exchange execution stream -> executions topic, resumable by sequence number.

The last published sequence number is read back from the executions topic itself at start,
so nothing is kept elsewhere: a report is either in the topic or fetched again.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid

from confluent_kafka import KafkaException, TopicPartition
from prometheus_client import Counter, Gauge

from brokerage.adapters.delivery import Deliveries
from brokerage.adapters.kafka import consumer
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record
from brokerage.observability import trace
from brokerage.observability.eventlog import EventLog

from .client import ExchangeClient, ExchangeUnavailable
from .mapping import report_from
from .traces import TRACES
from .watch import VenueWatch

log = logging.getLogger("brokerage.connector")
events = EventLog()
LAST_SEQ = Gauge("brokerage_connector_last_seq", "Last exchange sequence number published")
GAPS = Counter("brokerage_connector_seq_gaps_total", "Gaps in the exchange's sequence numbers")
TAIL = 50  # messages read back per partition to find the last sequence number


def last_published_seq(bootstrap: str, topic: str, attempts: int = 30) -> int:
    """The scan, retried: a broker that just started or moved a leader answers with
    retriable errors (NOT_LEADER, coordinator loading) for a few seconds."""
    for attempt in range(1, attempts + 1):
        try:
            return _scan(bootstrap, topic)
        except KafkaException as exc:
            if attempt == attempts:
                raise
            log.warning("connector: scanning %s failed (%s), retrying", topic, exc)
            time.sleep(min(0.2 * attempt, 2.0))
    raise AssertionError("unreachable")


def _scan(bootstrap: str, topic: str) -> int:
    c = consumer(bootstrap, f"seq-scan-{uuid.uuid4().hex}")
    try:
        parts = c.list_topics(topic, timeout=30).topics[topic].partitions
        best, tps, ends = 0, [], {}
        for p in parts:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            if high > low:
                tps.append(TopicPartition(topic, p, max(low, high - TAIL)))
                ends[p] = high
        c.assign(tps)
        while ends:
            msg = c.poll(10)
            if msg is None:
                break
            if msg.error():
                continue
            try:
                best = max(best, avro.decode("execution_report", msg.value() or b"")["seq"])
            except avro.DecodeError:
                pass
            if (msg.offset() or 0) + 1 >= ends.get(msg.partition() or 0, 0):
                ends.pop(msg.partition() or 0, None)
        return best
    finally:
        c.close()


def pump(client: ExchangeClient, out: Deliveries, topic: str, start_seq: int,
         stop: threading.Event, wait_ms: int = 1000, watch: VenueWatch | None = None) -> None:
    """Long-poll the exchange and publish each report, in sequence order, until `stop`."""
    seq = start_seq
    watch = watch or VenueWatch()
    LAST_SEQ.set(seq)
    while not stop.is_set():
        try:
            page = client.call("GET", "/executions", timeout=wait_ms / 1000 + 5,
                               params={"after": seq, "limit": 500, "wait_ms": wait_ms})
        except ExchangeUnavailable as exc:
            log.warning("execution stream paused: %s", exc)
            stop.wait(0.5)
            continue
        # Behind a venue that went back we keep our cursor: the reports up to it are in the
        # topic, and a venue that lost them reuses their seqs and exec ids (E<seq>) for other
        # executions, which the rules would drop as duplicates. Waiting republishes nothing;
        # the alert calls an operator, and the reconciliation of the restart names the trades.
        watch.check(page, seq)
        if page.get("first_seq", 1) > seq + 1:
            GAPS.inc()
            log.error("exchange no longer serves reports after %d (oldest %d): missed reports",
                      seq, page["first_seq"])
        base = seq
        for r in page["reports"]:
            if r["seq"] <= seq:
                continue  # already published (a retried page)
            if r["seq"] != seq + 1:
                GAPS.inc()
                log.error("exchange sequence gap: %d after %d", r["seq"], seq)
            rep = report_from(r)
            value = avro.encode("execution_report", execution_to_record(rep, r["seq"]))
            ctx = TRACES.of(rep.trade_id) or trace.new()  # back in the trade's trace
            out.produce(topic, value, key=rep.trader_id.encode(), headers=[trace.header(ctx)])
            events.info("execution %s %s (seq %d) published", rep.exec_type.value, rep.exec_id,
                        r["seq"], ctx=ctx, trade_id=rep.trade_id, trader_id=rep.trader_id)
            seq = r["seq"]
        if page["reports"]:
            if not out.settle(stop):  # never skip ahead of a report not written
                if stop.is_set():
                    return
                seq = base  # the page again (the rules de-duplicate by execution id)
                continue
            LAST_SEQ.set(seq)
