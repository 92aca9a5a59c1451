"""Scenario: requests and execution reports for many traders arrive in a burst; a few of one
trader's requests were written to a partition its key does not hash to (a producer with
another partitioner), and one request has no key. The sequencer merges them into
trader-inputs.
We expect every input exactly once, packed in frames (fewer messages than inputs), each on
the partition of its key (the keyless one keeps its own), in each source partition's order,
byte for byte, with its origin and its trace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from confluent_kafka import Producer

from brokerage.adapters.kafka import PARTITIONER
from brokerage.adapters.topic_reader import read_all
from brokerage.config import Settings
from brokerage.localkafka import free_port
from brokerage.service import frames
from streams import sequencer

PARTITIONS = 4
TRACE = b"00-" + b"c" * 32 + b"-" + b"d" * 16 + b"-01"


def test_the_sequencer_frames_every_input_once_on_its_keys_partition(
    kafka_bootstrap: str, unique_name: Callable[[str], str],
    create_topics: Callable[..., None],
) -> None:
    s = Settings(kafka_bootstrap_servers=kafka_bootstrap, partitions=PARTITIONS,
                 topic_requests=unique_name("requests"), topic_executions=unique_name("execs"),
                 topic_inputs=unique_name("inputs"), app_id=unique_name("app"),
                 sequencer_metrics_port=free_port())
    create_topics([s.topic_requests, s.topic_executions, s.topic_inputs], PARTITIONS)
    prod = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": PARTITIONER})
    sent: list[tuple[str, bytes | None, bytes]] = []
    for n in range(600):
        key = f"t{n % 40}".encode()
        topic = s.topic_executions if n % 3 == 0 else s.topic_requests
        value = b"v%d" % n
        prod.produce(topic, value, key, headers=[("traceparent", TRACE)] if n % 2 else None)
        sent.append((topic, key, value))
    home = frames.partition_for(b"foreign", PARTITIONS)
    for n in range(3):  # another partitioner put these elsewhere
        prod.produce(s.topic_requests, b"f%d" % n, b"foreign", partition=(home + 1) % PARTITIONS)
        sent.append((s.topic_requests, b"foreign", b"f%d" % n))
    prod.produce(s.topic_requests, b"keyless", None, partition=2)
    sent.append((s.topic_requests, None, b"keyless"))
    assert prod.flush(30) == 0

    stop = threading.Event()
    worker = threading.Thread(target=sequencer.run, args=(s, kafka_bootstrap, stop))
    worker.start()
    try:
        deadline, got = time.monotonic() + 90, []
        while time.monotonic() < deadline and len(got) < len(sent):
            time.sleep(1)
            messages = list(read_all(kafka_bootstrap, s.topic_inputs))
            got = [i for m in messages for i in frames.inputs_of(m)]
    finally:
        stop.set()
        worker.join(30)

    assert sorted((i.key or b"", i.value) for i in got) == sorted(
        (k or b"", v) for _, k, v in sent)
    assert len(messages) < len(got) / 5  # packed: many inputs per message
    for i in got:
        assert i.partition == (frames.partition_for(i.key, PARTITIONS) if i.key else 2)
    origins = [i.source(s.topic_executions) for i in got]
    by_source: dict[tuple[str, int, int], list[int]] = {}
    for i, src in zip(got, origins, strict=True):
        by_source.setdefault((src.topic, src.partition, i.partition), []).append(src.offset)
        assert (src.topic, i.value) in {(t, v) for t, _, v in sent}
        assert src.timestamp_ms > 0
    for offsets in by_source.values():  # in their source's order, nothing twice
        assert offsets == sorted(set(offsets))
    traced = {i.value for i in got if ("traceparent", TRACE) in i.headers}
    assert traced == {v for n, (_, _, v) in enumerate(sent[:600]) if n % 2}
