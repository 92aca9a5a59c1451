"""What reconciliation reads: the store's balances and offsets, the live tables' changelog."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

import psycopg
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer
from brokerage.adapters.topic_reader import read_all
from brokerage.codec.state_log import states_of
from brokerage.config import Settings
from brokerage.service.replay import latest
from brokerage.service.verify import changelog_topic

from . import queries
from .reconcile import differences, live_balances
from .statement import Balances


@dataclass
class Reconciliation:
    traders: int = 0
    behind: int = 0  # inputs the sink has not stored yet
    differences: list[str] = field(default_factory=list)


def inputs_behind(bootstrap: str, topic: str, stored: dict[int, int]) -> int:
    c = consumer(bootstrap, f"reconcile-{uuid.uuid4().hex}")
    try:
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        total = 0
        for p in parts:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            total += max(0, high - max(low, stored.get(p, 0)))
        return total
    finally:
        c.close()


def reconcile_once(bootstrap: str, dsn: str, s: Settings) -> Reconciliation:
    with psycopg.connect(dsn) as conn:
        stored = {t: Balances.of(rows) for t, rows in queries.all_balances(conn).items()}
        offsets = queries.sink_offsets(conn, s.topic_inputs)
    table = latest(read_all(bootstrap, changelog_topic(s)))
    live = {k.decode(): live_balances(s) for k, s in states_of(table).items()}
    return Reconciliation(len(stored.keys() | live.keys()),
                          inputs_behind(bootstrap, s.topic_inputs, offsets),
                          differences(stored, live))


def reconcile(bootstrap: str, dsn: str, s: Settings, timeout: float) -> Reconciliation:
    """Compare until both sides agree or `timeout` passes: the sink and the workers each
    trail the input log a little, so a first difference may only be one of them catching up."""
    deadline = time.monotonic() + timeout
    while True:
        result = reconcile_once(bootstrap, dsn, s)
        if not result.differences or time.monotonic() >= deadline:
            return result
        time.sleep(1.0)
