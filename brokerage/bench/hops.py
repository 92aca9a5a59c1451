"""Where a request's latency goes, hop by hop, from the records' own timestamps.

Every record carries the time its producer handed it over (Kafka CreateTime, wall clock, all
on this machine): the generator's request, the sequencer's frame holding it, the worker's
response. So, per request:
- sequencer: request written -> its frame written (the generator's linger, the sequencer's
  fetch and gather window);
- worker: frame written -> response written (the sequencer's linger, the worker's fetch and
  batch window, the queue ahead of it, the rules, the worker's pauses: state writes, commits);
- delivery: the rest of the measured latency (the worker's linger, the collector's fetch).

`read` scans the topics once the run has settled; `summarise` is pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from brokerage.codec import avro
from brokerage.service import frames

from . import stats

# request id -> [request, frame, response] CreateTime ms (0: not seen); None: the id was sent
# more than once (the mix repeats some requests), so which record belongs to which send is moot
Stamps = dict[str, list[int] | None]
HOPS = ("sequencer", "worker", "delivery")


def read(cons: Consumer, requests: str, inputs: str, responses: str) -> Stamps:
    """The request, frame and response of each request id, up to the topics' ends now."""
    stamps: Stamps = {}
    for m in _records(cons, requests):
        rid = _request_id(m.value())
        if rid is not None:
            stamps[rid] = None if rid in stamps else [m.timestamp()[1], 0, 0]
    for m in _records(cons, inputs):
        for i in frames.inputs_of(m):
            if i.source("").topic != requests:
                continue
            s = stamps.get(_request_id(i.value) or "")
            if s is not None and not s[1]:
                s[1] = m.timestamp()[1]
    for m in _records(cons, responses):
        try:
            rec = avro.decode("trade_event", m.value() or b"")
        except avro.DecodeError:
            continue
        s = stamps.get(rec["request_id"] or "") if rec["kind"] == "RESPONSE" else None
        if s is not None and not s[2]:
            s[2] = m.timestamp()[1]
    return stamps


def summarise(ids: Iterable[str], latency: Mapping[str, float], stamps: Stamps
              ) -> dict[str, dict[str, float]]:
    """Per hop, milliseconds (count, mean, p50, p95, p99, max) over the requests `ids` that
    were answered (`latency`: request id -> measured seconds), sent once, seen at every hop."""
    hops: dict[str, list[float]] = {h: [] for h in HOPS}
    for rid in ids:
        s, total = stamps.get(rid), latency.get(rid)
        if s is None or total is None or not all(s):
            continue
        req, frame, resp = s
        hops["sequencer"].append((frame - req) / 1e3)
        hops["worker"].append((resp - frame) / 1e3)
        hops["delivery"].append(max(0.0, total - (resp - req) / 1e3))
    return {h: stats.latency_summary(v) for h, v in hops.items()}


def _records(cons: Consumer, topic: str) -> Iterable[Any]:
    parts = cons.list_topics(topic, timeout=30).topics[topic].partitions
    ends = {p: cons.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
            for p in parts}
    cons.assign([TopicPartition(topic, p, 0) for p in parts if ends[p] > 0])
    left = {p for p, end in ends.items() if end > 0}
    while left:
        batch = cons.consume(10_000, 5.0)
        if not batch:
            break  # what could be read was read: the summary says how many it covers
        for m in batch:
            if m.error() is None:
                yield m
                if (m.offset() or 0) + 1 >= ends[m.partition() or 0]:
                    left.discard(m.partition() or 0)
    cons.unassign()


def _request_id(value: bytes | None) -> str | None:
    try:
        rid = avro.decode("trade_request", value or b"")["request_id"]
    except avro.DecodeError:
        return None
    return rid if isinstance(rid, str) else None
