"""A librdkafka producer whose deliveries are checked before anything is committed.

`settle()` waits until everything produced is on the broker and says whether all of it got
there. A message librdkafka gives up on (after `message.timeout.ms`, here 30 s instead of its
5 min) is reported, never skipped: the caller reads its inputs again. The producer is then
replaced: a chaos run saw one stay stuck after a broker restart ("new leader not found in
cache", cf. confluentinc/librdkafka#4976).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, Producer, TopicPartition

log = logging.getLogger("brokerage.delivery")
TIMEOUT_MS = 30_000  # a delivery not done by then fails (librdkafka's default: 5 min)
POLL_EVERY = 100


class Deliveries:
    def __init__(self, make: Callable[..., Producer], **conf: Any) -> None:
        self._make = lambda: make(**{"message.timeout.ms": TIMEOUT_MS, **conf})
        self._failed: list[KafkaError] = []
        self.producer = self._make()
        self._unpolled = 0

    def produce(self, topic: str, value: bytes | None, key: bytes | None = None,
                headers: Any = None, partition: int | None = None) -> None:
        if partition is None:
            self.producer.produce(topic, value, key, headers=headers, on_delivery=self._note)
        else:
            self.producer.produce(topic, value, key, partition=partition, headers=headers,
                                  on_delivery=self._note)
        # Delivery reports are served every POLL_EVERY messages, not each time (a poll per
        # message was ~7 % of the connector's CPU); settle() serves the rest.
        self._unpolled += 1
        if self._unpolled >= POLL_EVERY:
            self._unpolled = 0
            self.producer.poll(0)

    def settle(self, stop: threading.Event) -> bool:
        """True once all produced so far is delivered; False if some of it failed (the
        producer is replaced) or `stop` was set while waiting."""
        while self.producer.flush(5):
            log.warning("waiting for the broker to take %d message(s)", len(self.producer))
            if stop.is_set():
                return False
        if not self._failed:
            return True
        log.error("%d message(s) not delivered (%s): a fresh producer; the inputs are read "
                  "again", len(self._failed), self._failed[0])
        self._failed = []
        self.producer = self._make()
        return False

    def close(self, timeout: float = 10) -> None:
        self.producer.flush(timeout)

    def _note(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            self._failed.append(err)


def rewind(cons: Consumer, batch: list[Message]) -> None:
    """Make `cons` deliver `batch` again (after its effects were not all delivered)."""
    first: dict[tuple[str, int], int] = {}
    for m in batch:
        first.setdefault((m.topic() or "", m.partition() or 0), m.offset() or 0)
    for (topic, partition), offset in first.items():
        cons.seek(TopicPartition(topic, partition, offset))
