"""Scenario: a worker is assigned input partitions, one with a group commit and one without,
and reads where each must resume before applying its first event. We expect the broker's
commits (0 where there is none), each read once per assignment, and a read begun before a
rebalance not to fill the new assignment's map; the commit as of now, for a hole's log, is
read afresh."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer
from streams.commits import GroupCommits
from tests.conftest import CreateTopics

pytestmark = pytest.mark.integration


def test_commits_come_from_the_broker_once_per_assignment(
        kafka_bootstrap: str, create_topics: CreateTopics,
        unique_name: Callable[[str], str]) -> None:
    topic, group = unique_name("inputs"), unique_name("group")
    create_topics([topic], partitions=3)
    owner = consumer(kafka_bootstrap, group)
    owner.commit(offsets=[TopicPartition(topic, 1, 34)], asynchronous=False)
    probe = consumer(kafka_bootstrap, group)
    commits = GroupCommits(probe, topic)

    async def scenario() -> None:
        assert commits.get(1) is None  # nothing read yet: unknown, not 0
        await commits.load([0, 1])
        assert (commits.get(0), commits.get(1)) == (0, 34)
        owner.commit(offsets=[TopicPartition(topic, 1, 50)], asynchronous=False)
        await commits.load([1, 2])
        assert commits.get(1) == 34  # read once: the assignment's start stays
        assert commits.get(2) == 0
        assert await commits.now(1) == 50  # ... while a hole's log reads the broker's now
        commits.forget()  # a new assignment reads again
        assert commits.get(1) is None
        await commits.load([1])
        assert commits.get(1) == 50
        commits.forget()
        reading = asyncio.ensure_future(commits.load([1]))
        await asyncio.sleep(0)  # the read is under way in the executor
        commits.forget()  # ... when a rebalance comes
        await reading
        assert commits.get(1) is None

    try:
        asyncio.run(scenario())
    finally:
        owner.close()
        probe.close()
