"""Scenario: a group has committed offsets on some partitions of a topic and none on the
others. We expect the bench's lag sampler to count, from one end-offsets request, what is
left after each commit plus everything on the partitions never committed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer, producer
from brokerage.bench.samplers import GroupLag
from tests.conftest import CreateTopics

pytestmark = pytest.mark.integration


def test_group_lag_counts_after_commits_and_all_of_uncommitted_partitions(
        kafka_bootstrap: str, create_topics: CreateTopics,
        unique_name: Callable[[str], str]) -> None:
    topic, group = unique_name("lag"), unique_name("group")
    create_topics([topic], partitions=3)
    p = producer(kafka_bootstrap)
    for i in range(30):  # 10 per partition
        p.produce(topic, b"x", partition=i % 3)
    assert p.flush(10) == 0
    committer = consumer(kafka_bootstrap, group)
    committer.commit(offsets=[TopicPartition(topic, 0, 4), TopicPartition(topic, 1, 10)],
                     asynchronous=False)
    committer.close()
    lag = GroupLag(kafka_bootstrap, group, [topic])
    try:
        assert lag() == (10 - 4) + 0 + 10  # partition 2: nothing committed, all of it
        for _ in range(5):
            p.produce(topic, b"y", partition=1)
        assert p.flush(10) == 0
        assert lag() == 6 + 5 + 10
    finally:
        lag.close()
