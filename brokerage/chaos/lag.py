"""Consumer-group lag, for knowing when a run is quiescent."""

from __future__ import annotations

from confluent_kafka import Consumer, ConsumerGroupTopicPartitions, TopicPartition

from brokerage.adapters.kafka import RDKAFKA_LOG, admin_client
from brokerage.security.clientconf import client_conf


def lag(bootstrap: str, group: str, topics: list[str]) -> int:
    """Messages in `topics` not yet committed by `group` (uncommitted partitions count whole)."""
    admin = admin_client(bootstrap)
    meta = admin.list_topics(timeout=10)
    tps = [TopicPartition(t, p) for t in topics for p in meta.topics[t].partitions]
    req = [ConsumerGroupTopicPartitions(group, tps)]
    committed = admin.list_consumer_group_offsets(req)[group].result(timeout=10)
    done = {(tp.topic, tp.partition): tp.offset for tp in committed.topic_partitions}
    c = Consumer({**client_conf(bootstrap), "group.id": f"{group}-lag-probe",
                  "logger": RDKAFKA_LOG})
    try:
        total = 0
        for tp in tps:
            low, high = c.get_watermark_offsets(tp, timeout=10)
            at = done.get((tp.topic, tp.partition), -1)
            total += high - (at if at >= 0 else low)
        return total
    finally:
        c.close()
