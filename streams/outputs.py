"""The rules' outputs (responses, orders, dead letters) go out through librdkafka, not
faust's producer: per message it costs a few microseconds in C instead of ~100 in Python.

faust waits for `delivered()` before every offset commit (faust_fixes.flush_also), so no
input is committed before what it caused is on the broker; a delivery that fails for good
restarts the worker (RESTART_EXIT_CODE) without committing, and the inputs since the last
commit are read again (the rules replay redelivered inputs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

from confluent_kafka import KafkaError, Message

from brokerage.adapters.kafka import producer
from brokerage.service.messages import Out, Send

log = logging.getLogger("brokerage.worker")


class DeliveryFailed(Exception):
    pass


class Outputs:
    def __init__(self, bootstrap: str, topics: dict[Out, str],
                 conf: dict[str, Any] | None = None) -> None:
        """`conf`: the pipeline's producer settings (kafka.producing)."""
        self.topics = topics
        self._failed: list[KafkaError] = []
        # Dead letters carry the original bytes (up to the topic's 1 MB cap) plus headers.
        # A delivery that has not succeeded in 30 s fails and restarts the worker, with a
        # fresh producer: a chaos run saw this producer stuck after a broker restart
        # (librdkafka "new leader not found in cache", cf. confluentinc/librdkafka#4976),
        # holding faust's commit, and with it the group's rebalance, for the default 5 min.
        self._prod = producer(bootstrap, **{**(conf or {}), "message.max.bytes": 1_200_000,
                                            "queue.buffering.max.messages": 1_000_000,
                                            "message.timeout.ms": 30_000})
        # Every delivery is reported (not errors only): the table's changelog records need
        # their offsets (DirectTable.persist).
        self._logged: dict[int, int] = {}  # changelog partition -> highest offset delivered

    def send(self, sends: Iterable[Send]) -> None:
        for s in sends:
            while True:
                try:
                    self._prod.produce(self.topics[s.to], s.value, s.key, headers=list(s.headers),
                                       on_delivery=self._note)
                    break
                except BufferError:  # the local queue is full: let deliveries drain it
                    self._prod.poll(0.05)
        self._prod.poll(0)

    def changelog(self, topic: str, partition: int, key: bytes, value: bytes | None) -> None:
        """A table record (DirectTable); `delivered()` then tells its offset."""
        while True:
            try:
                self._prod.produce(topic, value, key, partition=partition,
                                   on_delivery=self._note_logged)
                return
            except BufferError:
                self._prod.poll(0.05)

    async def delivered(self) -> dict[int, int]:
        """Until the broker has everything sent so far; raises if any of it failed. Returns
        the highest changelog offset delivered per partition since the last call."""
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, self._prod.flush, 5.0):
            log.warning("waiting for the broker to take %d outputs", len(self._prod))
        if self._failed:
            err, self._failed = self._failed[0], []
            raise DeliveryFailed(str(err))
        logged, self._logged = self._logged, {}
        return logged

    def _note_logged(self, err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            self._failed.append(err)
        else:  # a lower offset lost to a race between threads only means a longer replay
            p, offset = msg.partition(), msg.offset()
            if offset is not None and p is not None and offset > self._logged.get(p, -1):
                self._logged[p] = offset

    def _note(self, err: KafkaError | None, _msg: Message) -> None:
        if err is not None:
            self._failed.append(err)
