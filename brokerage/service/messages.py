"""The messages around the rules: where an input came from, what goes out and where, and
the dead-letter envelope. Plain data, shared by the worker, the connector and the sink."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from brokerage.domain.events import Output
from brokerage.domain.records import fast_init

SRC_TOPIC, SRC_PARTITION = "src.topic", "src.partition"
SRC_OFFSET, SRC_TIMESTAMP = "src.offset", "src.timestamp_ms"


class Out(StrEnum):
    RESPONSES = "responses"
    ORDERS = "orders"
    DEAD_LETTERS = "dead_letters"


@fast_init
@dataclass(frozen=True, slots=True)
class Source:
    topic: str
    partition: int
    offset: int
    is_execution: bool
    timestamp_ms: int = 0  # the message's Kafka timestamp: the event's time, stable on replay


@dataclass(slots=True)
class Send:
    to: Out
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(slots=True)
class Result:
    state: bytes | None  # None: leave the table as it is
    sends: list[Send]
    kind: str  # for metrics: the event class, or the dead-letter reason
    outputs: list[Output] = field(default_factory=list)  # what the rules said: metrics, logs
    repeat: bool = False  # a redelivered input: the rules changed nothing, answers replayed


def source_of(headers: Sequence[tuple[str, bytes]] | Mapping[str, bytes] | None, topic: str,
              partition: int, offset: int, timestamp_ms: int, executions_topic: str) -> Source:
    """Where an input really came from: the sequencer's headers, else the message itself."""
    h = dict(headers or [])
    if SRC_TOPIC in h:
        topic = h[SRC_TOPIC].decode()
        partition, offset = int(h[SRC_PARTITION]), int(h[SRC_OFFSET])
        timestamp_ms = int(h[SRC_TIMESTAMP])
    return Source(topic, partition, offset, topic == executions_topic, timestamp_ms)


def envelope(topic: str, partition: int, offset: int, timestamp_ms: int
             ) -> list[tuple[str, bytes]]:
    return [(SRC_TOPIC, topic.encode()), (SRC_PARTITION, str(partition).encode()),
            (SRC_OFFSET, str(offset).encode()), (SRC_TIMESTAMP, str(timestamp_ms).encode())]


def dead_letter(src: Source, key: bytes | None, value: bytes, error: str, reason: str,
                code: str = "") -> Send:
    """The original bytes, with why (`dlq.code` is short and bounded: the metric's label).
    The headers are schemas/dead_letter.avsc; the worker adds the input's traceparent."""
    headers = [
        ("dlq.error", error.encode()), ("dlq.reason", _text(reason, 1000)),
        ("dlq.code", _text(code or error, 64)),
        ("dlq.topic", src.topic.encode()), ("dlq.partition", str(src.partition).encode()),
        ("dlq.offset", str(src.offset).encode()),
        ("dlq.timestamp_ms", str(int(time.time() * 1000)).encode()),
    ]
    return Send(Out.DEAD_LETTERS, key or b"", value, headers)


def _text(s: str, limit: int) -> bytes:
    """UTF-8 cut to at most `limit` bytes at a character boundary: the header stays text."""
    return s.encode()[:limit].decode("utf-8", "ignore").encode()
