"""Inputs that faust never hands over: a partition with inputs waiting past where it must
resume, and nothing delivered for three looks, is re-read like a hole (chaos: faust never
delivered one partition's inputs at all). The one cause found, a never-committed partition
whose position the assignment's first fetches had moved to the log's end, is prevented
in `positions`; this stays as the net for any other."""

from __future__ import annotations

import asyncio

import faust
from confluent_kafka import Consumer, KafkaException, TopicPartition
from faust.types import TableT

from brokerage.adapters.kafka import consumer
from brokerage.config import Settings

from .commits import GroupCommits
from .continuity import InputContinuity, rewind_and_exit


class StallWatch:
    """A partition with inputs waiting that delivers nothing for `looks` looks in a row is
    stalled (chaos: faust never handed one partition's inputs to the agent at all)."""

    def __init__(self, looks: int = 3) -> None:
        self.looks = looks
        self._seen: dict[int, tuple[int | None, int]] = {}

    def reset(self) -> None:
        self._seen.clear()

    def stalled(self, partition: int, last_delivered: int | None, waiting: bool) -> bool:
        if not waiting:
            self._seen.pop(partition, None)
            return False
        prev = self._seen.get(partition)
        count = prev[1] + 1 if prev is not None and prev[0] == last_delivered else 1
        self._seen[partition] = (last_delivered, count)
        return count >= self.looks


def watch_stalls(app: faust.App, settings: Settings, bootstrap: str,
                 continuity: InputContinuity, commits: GroupCommits,
                 offsets: TableT[bytes, bytes], delivered: dict[int, int]) -> None:
    """Every 10 s: an owned input partition with inputs waiting past where it must resume,
    and nothing handed over for three looks, is re-read like a hole."""
    watch, probe = StallWatch(), consumer(bootstrap, f"{settings.app_id}-stall-probe")
    topic = settings.topic_inputs

    @app.timer(10.0)
    async def look_for_stalls() -> None:
        if app.rebalancing or app.in_recovery:
            watch.reset()
            return
        owned = sorted(tp.partition for tp in app.assignor.assigned_actives()
                       if tp.topic == topic)
        try:
            water = await asyncio.get_running_loop().run_in_executor(
                None, watermarks, probe, topic, owned)
            await commits.load(water)
        except KafkaException:  # the broker restarting: look again later
            return
        for p, (low, high) in water.items():
            start = continuity.start(p)
            begin = start if start is not None else low
            if watch.stalled(p, delivered.get(p), high > begin):
                await rewind_and_exit(app, offsets, topic, p, begin, high)


def watermarks(c: Consumer, topic: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
    return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=5, cached=False)
            for p in partitions}
