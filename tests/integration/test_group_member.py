"""Scenario: a subscribed consumer holds no partition for longer than its grace period (here
because another member owns the only partition; after a broker restart librdkafka can leave a
member out of its group the same way). We expect it to join the group again, and to consume
once the partition is free, losing nothing that was not committed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from brokerage.adapters.group import GroupMember
from brokerage.adapters.kafka import consumer, producer
from tests.conftest import CreateTopics

pytestmark = pytest.mark.integration


def test_an_idle_member_joins_again_and_then_consumes(
        kafka_bootstrap: str, create_topics: CreateTopics,
        unique_name: Callable[[str], str]) -> None:
    topic, group = unique_name("member"), unique_name("group")
    create_topics([topic], partitions=1)
    p = producer(kafka_bootstrap)
    for i in range(5):
        p.produce(topic, str(i).encode(), b"k")
    assert p.flush(10) == 0

    owner = GroupMember(lambda: consumer(kafka_bootstrap, group), [topic], grace=3600)
    got: list[bytes] = []
    deadline = time.monotonic() + 60
    while len(got) < 5 and time.monotonic() < deadline:
        got += [m.value() or b"" for m in owner.consume(10, 0.5) if not m.error()]
    assert got == [b"0", b"1", b"2", b"3", b"4"]  # read, never committed

    idle = GroupMember(lambda: consumer(kafka_bootstrap, group), [topic], grace=2)
    deadline = time.monotonic() + 60
    while idle.renewals == 0 and time.monotonic() < deadline:
        assert not idle.consume(10, 0.5)
    assert idle.renewals >= 1

    owner.close()  # the partition moves to the member that joined again
    later: list[bytes] = []
    deadline = time.monotonic() + 90
    while len(later) < 5 and time.monotonic() < deadline:
        later += [m.value() or b"" for m in idle.consume(10, 0.5) if not m.error()]
    idle.close()
    assert later == [b"0", b"1", b"2", b"3", b"4"]
