"""Scenario: the session's real Kafka broker (embedded, or KAFKA_BOOTSTRAP_SERVERS) serves clients.

We expect keyed messages to round-trip through a fresh topic; confluent-kafka's producer with
partitioner murmur2_random to place every key on the partition aiokafka's DefaultPartitioner
(what Faust uses) computes, so both client stacks agree on key ownership; and a second `start`
on a running broker's data dir to refuse with AlreadyRunningError instead of launching another;
and our admin client to print nothing raw on stderr.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from aiokafka.partitioner import DefaultPartitioner
from confluent_kafka import Consumer, Message, Producer

from brokerage.config import Settings
from brokerage.localkafka import AlreadyRunningError, BrokerInfo, start

pytestmark = pytest.mark.integration
PARTITIONS = 8


def _produce(bootstrap: str, topic: str, records: list[tuple[str, str]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    failures: list[str] = []

    def on_delivery(err: object, _msg: Message) -> None:
        if err is not None:
            failures.append(str(err))

    for key, value in records:
        producer.produce(topic, key=key.encode(), value=value.encode(), on_delivery=on_delivery)
    assert producer.flush(30) == 0, "messages still queued after 30s"
    assert failures == []


def _consume(bootstrap: str, topic: str, group: str, count: int) -> list[Message]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    got: list[Message] = []
    deadline = time.monotonic() + 60
    try:
        while len(got) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            got.append(msg)
    finally:
        consumer.close()
    assert len(got) == count, f"consumed {len(got)} of {count} messages"
    return got


def test_keyed_messages_round_trip(
    kafka_bootstrap: str, unique_name: Callable[[str], str], create_topics: Callable[..., None]
) -> None:
    topic = unique_name("roundtrip")
    create_topics([topic], partitions=PARTITIONS)
    sent = [(f"trader-{i % 3}", f"order-{i}") for i in range(6)]
    _produce(kafka_bootstrap, topic, sent)

    got = _consume(kafka_bootstrap, topic, unique_name("group"), len(sent))
    pairs = sorted((m.key().decode(), m.value().decode()) for m in got)  # type: ignore[union-attr]
    assert pairs == sorted(sent)
    partitions_by_key: dict[bytes | None, set[int | None]] = {}
    for m in got:
        partitions_by_key.setdefault(m.key(), set()).add(m.partition())
    assert all(len(parts) == 1 for parts in partitions_by_key.values())


def test_confluent_murmur2_random_matches_aiokafka_default_partitioner(
    kafka_bootstrap: str, unique_name: Callable[[str], str], create_topics: Callable[..., None]
) -> None:
    topic = unique_name("partitioner")
    create_topics([topic], partitions=PARTITIONS)
    rng = random.Random(20261124)
    # Ids of 1..5 digits give key lengths 8..12, covering every murmur2 tail length (len % 4).
    keys = [f"trader-{n}" for n in rng.sample(range(100_000), 195)]
    keys += [f"trader-{n}" for n in (1, 12, 123, 1234, 12345)]
    _produce(kafka_bootstrap, topic, [(key, "x") for key in keys])

    got = _consume(kafka_bootstrap, topic, unique_name("group"), len(keys))
    actual = {m.key().decode(): m.partition() for m in got}  # type: ignore[union-attr]
    all_partitions = list(range(PARTITIONS))
    expected = {k: DefaultPartitioner()(k.encode(), all_partitions, all_partitions) for k in keys}
    assert actual == expected
    assert len(set(actual.values())) == PARTITIONS  # keys really were spread out


def test_second_start_on_running_data_dir_is_refused(local_broker: BrokerInfo | None) -> None:
    if local_broker is None:
        pytest.skip("external broker via KAFKA_BOOTSTRAP_SERVERS; nothing started locally")
    settings = Settings()
    with pytest.raises(AlreadyRunningError, match=rf"pid {local_broker.pid}.*kafka stop"):
        start(
            local_broker.port,
            local_broker.data_dir,
            version=settings.kafka_version,
            cache_dir=settings.kafka_cache_dir,
            heap=settings.kafka_heap,
        )


def test_topic_creation_prints_no_raw_librdkafka_lines(
    kafka_bootstrap: str, unique_name: Callable[[str], str]
) -> None:
    """Our admin client routes librdkafka's own lines through logging: a raw "%6|...|BGQUEUE|"
    line on stderr after every `up`, `bench` or `chaos` start was noise outside the JSON logs."""
    code = ("import sys; from brokerage.adapters.kafka import create_topics; "
            "create_topics(sys.argv[1], [sys.argv[2]], 1)")
    done = subprocess.run([sys.executable, "-c", code, kafka_bootstrap, unique_name("quiet")],
                          capture_output=True, timeout=60, check=True)
    raw = [line for line in done.stderr.decode().splitlines() if line.startswith("%")]
    assert raw == []
