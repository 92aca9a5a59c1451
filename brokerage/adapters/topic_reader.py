"""Read a whole topic, start to current end, without joining a consumer group."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from confluent_kafka import KafkaError, Message, TopicPartition

from .kafka import consumer


def read_all(bootstrap: str, topic: str, timeout: float = 30.0) -> Iterator[Message]:
    """Every message now in `topic`, partition by partition; stops at the high watermarks."""
    c = consumer(bootstrap, f"reader-{uuid.uuid4().hex}", **{"enable.partition.eof": True})
    try:
        meta = c.list_topics(topic, timeout=timeout).topics[topic]
        if meta.error is not None:
            raise RuntimeError(f"topic {topic}: {meta.error}")
        ends = {}
        for p in meta.partitions:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
            if high > low:
                ends[p] = high
        c.assign([TopicPartition(topic, p, 0) for p in ends])
        while ends:
            msg = c.poll(timeout)
            if msg is None:
                raise TimeoutError(f"no message from {topic} within {timeout}s")
            p, err = msg.partition() or 0, msg.error()
            if err is None:
                yield msg
                if (msg.offset() or 0) + 1 >= ends.get(p, 0):
                    ends.pop(p, None)
            elif err.code() == KafkaError._PARTITION_EOF:
                ends.pop(p, None)
    finally:
        c.close()
