"""Metrics more than one process records (defined once: a name registers once per process),
and consumer lag per partition for the confluent-kafka consumers."""

from __future__ import annotations

import time
from bisect import bisect_left
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from prometheus_client import Counter, Gauge
from prometheus_client.metrics import MetricWrapperBase

DEAD_LETTERS = Counter("brokerage_dead_letters_total",
                       "Messages sent to the dead-letter topic, by reason code", ["reason"])
CONSUMER_LAG = Gauge("brokerage_consumer_lag_messages",
                     "Messages not yet committed by the group: end offset - committed offset",
                     ["group", "topic", "partition"])


class Children:
    """`metric.labels(*values)` for a hot path: each child looked up once. prometheus_client's
    own lookup validates and locks on every call (~1.5 µs; a few of them per worker input)."""

    def __init__(self, metric: MetricWrapperBase) -> None:
        self.metric = metric
        self._children: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._children.get(values)
        if child is None:
            child = self._children[values] = self.metric.labels(*values)
        return child


class Tally:
    """A batch's counts and observations, added to the metrics at `flush()`: prometheus_client
    takes a lock per `.inc()`, two per histogram observation (~0.5 µs each; ~8 per worker
    input, ~9 % of its per-input glue). Scrapes see them a batch later. The histogram's
    buckets are filled as its own `observe` fills them (prometheus_client 0.26's fields;
    tests/unit/observability/test_tally.py holds the two to the same samples)."""

    __slots__ = ("_counts", "_observed")

    def __init__(self) -> None:
        self._counts: dict[Any, float] = {}  # counter (or child) -> amount
        self._observed: dict[Any, list[float]] = {}  # histogram (or child) -> values

    def inc(self, counter: Any, amount: float = 1) -> None:
        counts = self._counts
        counts[counter] = counts.get(counter, 0) + amount

    def observe(self, histogram: Any, value: float) -> None:
        values = self._observed.get(histogram)
        if values is None:
            values = self._observed[histogram] = []
        values.append(value)

    def flush(self) -> None:
        counts, self._counts = self._counts, {}
        for counter, amount in counts.items():
            counter.inc(amount)
        observed, self._observed = self._observed, {}
        for histogram, values in observed.items():
            histogram._raise_if_not_observable()
            bounds, per_bucket = histogram._upper_bounds, [0] * len(histogram._upper_bounds)
            for v in values:  # the first bound at or above it, as observe() finds it
                if v == v:  # a NaN is in no bucket
                    per_bucket[bisect_left(bounds, v)] += 1
            histogram._sum.inc(sum(values))
            for bucket, n in zip(histogram._buckets, per_bucket, strict=True):
                if n:
                    bucket.inc(n)


class LagSampler:
    """Sets CONSUMER_LAG for the partitions a consumer owns, at most every `every` seconds.
    Call it from the thread that polls the consumer (confluent consumers are not shared)."""

    def __init__(self, group: str, every: float = 5.0) -> None:
        self.group, self.every = group, every
        self._next = 0.0
        self._seen: set[tuple[str, int]] = set()
        self.ok = False  # the last sample got its answers: connected to the cluster

    def __call__(self, consumer: Consumer) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.every
        current = set()
        try:
            owned = consumer.assignment()
            committed = consumer.committed(owned, timeout=2) if owned else []
            for tp in committed:
                # The offsets the last fetch brought: asking the broker (cached=False) waits
                # behind the consumer's long-poll fetch, ~0.5 s per partition when idle,
                # which stalled the poll loop for seconds every sample.
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(tp.topic, tp.partition), timeout=2, cached=True)
                if high < 0:  # not fetched yet: no figure this time
                    continue
                done = tp.offset if tp.offset >= 0 else max(low, 0)  # nothing committed yet
                CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(
                    max(0, high - done))
                current.add((tp.topic, tp.partition))
        except Exception:  # a broker restarting or a leader moving: sample next time
            self.ok = False
            return
        for topic, partition in self._seen - current:  # moved to another member
            CONSUMER_LAG.remove(self.group, topic, str(partition))
        self._seen = current
        self.ok = True

# Request kinds as metric labels (the event classes of brokerage.domain.events).
REQUEST_TYPES = {"NewTrade": "new", "AmendTrade": "amend", "CancelTrade": "cancel",
                 "Deposit": "deposit", "Withdraw": "withdraw"}
