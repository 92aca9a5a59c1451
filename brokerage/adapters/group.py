"""A subscribed consumer that gets back into its group.

librdkafka can stay out of its group for good after a broker restart: the session times out
while the coordinator is unknown and the member never rejoins (the group shows EMPTY; see
confluentinc/librdkafka#2944). Seen in chaos runs with the connector. If a subscribed
consumer holds no partition for `grace` seconds, it is closed and a new one subscribes.
Nothing is lost: offsets are only ever committed after the work they cover.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from confluent_kafka import Consumer, Message

log = logging.getLogger("brokerage.kafka")


class GroupMember:
    def __init__(self, make: Callable[[], Consumer], topics: list[str],
                 grace: float = 60.0) -> None:
        self._make, self._topics, self.grace = make, topics, grace
        self.consumer = self._subscribe()
        self._idle_since: float | None = None
        self.renewals = 0

    def _subscribe(self) -> Consumer:
        c = self._make()
        c.subscribe(self._topics)
        return c

    def consume(self, n: int, timeout: float) -> list[Message]:
        batch: list[Message] = self.consumer.consume(n, timeout=timeout)
        if batch or self.consumer.assignment():
            self._idle_since = None
            return batch
        now = time.monotonic()
        self._idle_since = self._idle_since or now
        if now - self._idle_since > self.grace:
            log.warning("no partitions of %s for %.0f s: joining the group again",
                        self._topics, now - self._idle_since)
            self.consumer.close()
            self.consumer = self._subscribe()
            self._idle_since, self.renewals = None, self.renewals + 1
        return batch

    def close(self) -> None:
        self.consumer.close()
