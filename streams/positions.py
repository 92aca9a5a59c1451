"""Input partitions are positioned before faust delivers from them, after every assignment.

After a rebalance's recovery faust resumes the stream partitions, then seeks them to the
group's commits (`perform_seek`). Two things went wrong there (chaos runs, seen with the
input gap's log line):
- Between the resume and the seek, faust's fetch loop already delivered records of the new
  assignment, and it drops any later record below the last offset it delivered. After the
  seek, a partition's first records came again and were dropped: "jumped from 0 to 1".
- aiokafka's `seek_to_committed` seeks only partitions whose commit is above 0. A partition
  the group never committed kept whatever position the assignment's first fetches left
  (12, 15, 19: records faust handed over while it paused the partitions, then dropped as
  inactive). That was a hole, or, at the log's end, a stall: nothing delivered for 30 s.
Each case cost a worker restart (`continuity`, `stalls`): ~10-30 s without inputs.
So the input partitions are resumed only once the seek is done, and those without a commit
are sought to 0. The input log is kept whole, and the rules de-duplicate what comes again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import faust
from faust.types import TP

log = logging.getLogger("brokerage.worker")


def position_before_delivery(app: faust.App, topic: str) -> None:
    """Hold `topic`'s partitions back from faust's resume until its seek is done, and seek
    those without a commit to 0."""
    consumer: Any = app.consumer
    resume, seek_committed, perform_seek = (
        consumer.resume_partitions, consumer.seek_to_committed, consumer.perform_seek)
    held: set[TP] = set()

    def resume_partitions(tps: Iterable[TP]) -> None:
        tps = set(tps)
        mine = {tp for tp in tps if tp.topic == topic}
        held.update(mine)
        resume(tps - mine)

    async def seek_to_committed() -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await seek_committed()
        for tp, offset in committed.items():
            if tp.topic == topic and (offset is None or offset <= 0):
                was = position(consumer, tp)
                await consumer._seek(tp, 0)
                if was:  # a position past 0 without a commit: what used to be a hole
                    log.warning("%s[%d] has no commit but the consumer was at %d: reading "
                                "it from 0", tp.topic, tp.partition, was)
        return committed

    async def seek_then_resume() -> None:
        try:
            await perform_seek()  # faust's: seek_to_committed, then its read offsets
        finally:
            ready = held & set(consumer.assignment())
            held.clear()
            resume(ready)

    consumer.resume_partitions = resume_partitions
    consumer.seek_to_committed = seek_to_committed
    consumer.perform_seek = seek_then_resume


def position(consumer: Any, tp: TP) -> int | None:
    """The aiokafka consumer's fetch position of `tp` without waiting (None: none yet)."""
    try:
        state = consumer._thread._ensure_consumer()._subscription.subscription.assignment \
            .state_value(tp)
        return int(state.position) if state is not None and state.has_valid_position else None
    except Exception:  # a diagnostic only: a faust or aiokafka without these internals
        return None
