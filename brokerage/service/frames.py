"""The merged input log in frames: one trader-inputs message holds the inputs the sequencer
copied in one batch for one partition, in order (schemas/input_frame.avsc).

Why: most costs go per message, not per byte (the broker's per-record work, and faust's
per-event plumbing in the worker), and an input is small. Every reader goes through
`inputs_of`, which also takes an unframed message (older logs, tests, tools) as one input.
Unframed or framed, an input reads the same: its origin from `Input.source()` (a frame's
record, or an unframed message's src.* headers, `envelope`), the trader-inputs partition
and offset of the message that holds it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from aiokafka.partitioner import murmur2

from brokerage.codec import avro

from .messages import Source, source_of

FRAME = "input_frame"
BUDGET = 256 * 1024  # bytes of inputs per frame; an input larger than this goes alone


@dataclass(slots=True)  # not frozen: a frozen __init__ costs ~5x, and one is made per input
class Input:
    """One input of the merged log, where it sits there (a frame's inputs share an offset)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]  # its own (the trace); an unframed one's src.* too
    timestamp_ms: int
    # A framed input's origin (topic, partition, offset, timestamp_ms) as the frame holds it:
    # not written into headers to be parsed back, once per input in every reader.
    origin: tuple[str, int, int, int] | None = None

    def source(self, executions_topic: str) -> Source:
        """Where the input really came from: its frame's record, the sequencer's src.*
        headers of an unframed one, else this message itself."""
        if self.origin is not None:
            topic, partition, offset, timestamp_ms = self.origin
            return Source(topic, partition, offset, topic == executions_topic, timestamp_ms)
        return source_of(self.headers, self.topic, self.partition, self.offset,
                         self.timestamp_ms, executions_topic)

    @classmethod
    def of(cls, m: Any) -> Input:
        """An unframed confluent_kafka Message, as it is."""
        headers = [(k, v or b"") for k, v in (m.headers() or [])]
        return cls(m.topic() or "", m.partition() or 0, m.offset() or 0, m.key(), m.value(),
                   headers, m.timestamp()[1])


@cache
def _frame_fingerprints() -> frozenset[bytes]:
    return frozenset(avro.writers(FRAME))


def is_frame(value: bytes | None) -> bool:
    return (value is not None and value[:2] == avro.MAGIC
            and value[2:avro.HEADER] in _frame_fingerprints())


def inputs_of(m: Any) -> list[Input]:
    """The inputs a confluent_kafka Message of trader-inputs holds."""
    return unpack(Input.of(m))


def unpack(msg: Input) -> list[Input]:
    if not is_frame(msg.value):
        return [msg]
    try:
        frame = avro.decode(FRAME, msg.value or b"")
    except avro.DecodeError:  # the rules dead-letter it whole, bytes intact
        return [msg]
    topic, partition, offset, at = msg.topic, msg.partition, msg.offset, msg.timestamp_ms
    return [Input(topic, partition, offset, i["key"], i["value"],
                  [(h["name"], h["value"]) for h in i["headers"]] if i["headers"] else [], at,
                  (i["topic"], i["partition"], i["offset"], i["timestamp_ms"]))
            for i in frame["inputs"]]


def framed(topic: str, partition: int, offset: int, timestamp_ms: int, key: bytes | None,
           value: bytes | None, headers: Sequence[tuple[str, bytes]]) -> dict[str, Any]:
    """One input as a frame holds it."""
    return {"topic": topic, "partition": partition, "offset": offset,
            "timestamp_ms": timestamp_ms, "key": key, "value": value or b"",
            "headers": [{"name": n, "value": v} for n, v in headers]}


def pack(inputs: Sequence[dict[str, Any]]) -> Iterator[bytes]:
    """Frames of at most BUDGET bytes of inputs each (at least one input each), in order."""
    start, size = 0, 0
    for n, item in enumerate(inputs):
        weight = len(item["value"]) + len(item["key"] or b"")
        if n > start and size + weight > BUDGET:
            yield avro.encode(FRAME, {"inputs": list(inputs[start:n])})
            start, size = n, 0
        size += weight
    if start < len(inputs):
        yield avro.encode(FRAME, {"inputs": list(inputs[start:])})


@lru_cache(maxsize=100_000)  # pure Python murmur2: worth remembering per trader
def partition_for(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (Java's murmur2), as faust's aiokafka and our librdkafka
    clients (murmur2_random) place a key: the sequencer picks frames' partitions with it."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions
