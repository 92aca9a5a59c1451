"""The group's committed input offsets, as the broker has them."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial
from time import monotonic

from confluent_kafka import Consumer, KafkaException, TopicPartition

from .continuity import restart


class GroupCommits:
    """The group's committed offsets of the input partitions, read from the broker once per
    assignment. faust's own map is no source: it is filled by a seek that faust starts only
    after it resumes delivery (chaos: a new owner's first event came before it, was taken
    for a hole from 0, and a ping-pong of restarts followed), and its acks put None in it."""

    def __init__(self, probe: Consumer, topic: str, patience: float = 30.0) -> None:
        self._probe, self._topic, self._patience = probe, topic, patience
        self._known: dict[int, int] = {}
        self._epoch = 0  # a read begun before a rebalance must not fill the new map

    def forget(self) -> None:
        self._known.clear()
        self._epoch += 1

    def get(self, partition: int) -> int | None:
        return self._known.get(partition)

    async def load(self, partitions: Iterable[int]) -> None:
        """Read the commits not known yet (no commit: 0, as the input log is kept forever).
        While the broker cannot answer, try again; past `patience`, restart."""
        missing = [TopicPartition(self._topic, p) for p in partitions if p not in self._known]
        if not missing:
            return
        loop, deadline = asyncio.get_running_loop(), monotonic() + self._patience
        epoch = self._epoch
        while True:
            try:
                got = await loop.run_in_executor(None, partial(self._probe.committed, missing,
                                                               timeout=5))
                break
            except KafkaException as exc:
                if monotonic() > deadline:
                    restart(f"cannot read the group's commits: {exc}")
                await asyncio.sleep(0.5)
        if epoch == self._epoch:
            self._known.update({tp.partition: max(tp.offset, 0) for tp in got})
