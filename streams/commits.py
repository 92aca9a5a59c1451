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

    def __init__(self, probe: Consumer, topic: str, timeout: float = 5.0) -> None:
        self._probe, self._topic, self._timeout = probe, topic, timeout
        self._known: dict[int, int] = {}
        self._epoch = 0  # a read begun before a rebalance must not fill the new map

    def forget(self) -> None:
        self._known.clear()
        self._epoch += 1

    def get(self, partition: int) -> int | None:
        return self._known.get(partition)

    async def load(self, partitions: Iterable[int], patience: float | None = None) -> None:
        """Read the commits not known yet (no commit: 0, as the input log is kept forever).
        If the broker cannot answer: raise KafkaException, or with `patience` seconds, try
        again until they pass, then restart."""
        missing = [TopicPartition(self._topic, p) for p in partitions if p not in self._known]
        if not missing:
            return
        loop, epoch = asyncio.get_running_loop(), self._epoch
        deadline = monotonic() + (patience or 0.0)
        while True:
            try:
                got = await loop.run_in_executor(None, partial(self._read, missing))
                break
            except KafkaException as exc:
                if patience is None:
                    raise
                if monotonic() > deadline:
                    restart(f"cannot read the group's commits: {exc}")
                await asyncio.sleep(0.5)
        if epoch == self._epoch:
            self._known.update({tp.partition: max(tp.offset, 0) for tp in got})

    async def now(self, partition: int) -> int | str:
        """The broker's commit of a partition as of now, or why it could not say: for the
        log of a hole, beside the one read at assignment (`get`)."""
        try:
            got = await asyncio.get_running_loop().run_in_executor(
                None, partial(self._read, [TopicPartition(self._topic, partition)]))
        except KafkaException as exc:
            return f"unknown ({exc})"
        return max(got[0].offset, 0)

    def _read(self, partitions: list[TopicPartition]) -> list[TopicPartition]:
        got: list[TopicPartition] = self._probe.committed(partitions, timeout=self._timeout)
        failed = [tp for tp in got if tp.error]
        if failed:
            raise KafkaException(failed[0].error)
        return got
