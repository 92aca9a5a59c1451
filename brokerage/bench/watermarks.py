"""What a run's topics hold once it is over, read from their ends: how many messages each
got, and when the last one was written."""

from __future__ import annotations

import time

from confluent_kafka import KafkaException, TopicPartition

from brokerage.adapters.kafka import changelog_names, consumer
from brokerage.config import Settings

from .secure import bench_conf


def message_counts(s: Settings) -> dict[str, int]:
    """Messages written to each of our run's topics (high watermarks: nothing is deleted
    during a run); a topic the bench's user may not describe (a secure broker's ACLs) is
    left out."""
    topics = {"requests": s.topic_requests, "inputs": s.topic_inputs,
              "responses": s.topic_responses, "orders": s.topic_orders,
              "executions": s.topic_executions, "state": changelog_names(s)[0]}
    cons = consumer(s.kafka_bootstrap_servers, f"{s.app_id}-bench-counts", **bench_conf(s))
    counts = {}
    try:
        for kind, t in topics.items():
            try:
                counts[kind] = sum(cons.get_watermark_offsets(TopicPartition(t, p),
                                                              timeout=30)[1]
                                   for p in range(s.partitions))
            except KafkaException:
                continue
    finally:
        cons.close()
    return counts


def last_written(bootstrap: str, topic: str, partitions: int) -> float | None:
    """When the topic's last message was written (its CreateTime), on this process's
    monotonic clock; None if it is empty."""
    cons = consumer(bootstrap, f"{topic}-last-written")
    try:
        ends = [TopicPartition(topic, p, high - 1) for p in range(partitions)
                if (high := cons.get_watermark_offsets(TopicPartition(topic, p),
                                                       timeout=30)[1]) > 0]
        cons.assign(ends)
        newest, left, deadline = 0, len(ends), time.monotonic() + 30
        while left and time.monotonic() < deadline:
            for m in cons.consume(left, 1.0):
                if not m.error():
                    newest, left = max(newest, m.timestamp()[1]), left - 1
    finally:
        cons.close()
    return newest / 1000 - (time.time() - time.monotonic()) if newest else None
