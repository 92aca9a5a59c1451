"""The worker's input partitions are positioned before faust delivers from them
(streams/positions.py): faust's recovery resumes the stream partitions and then seeks them;
the input partitions must only be resumed after the seek, and those without a commit must be
sought to 0. faust's consumer is stood in for by the few methods the hook wraps, in faust's
order; the behaviour on a real broker is judged by the chaos runs (README: Guarantees)."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest
from faust.types import TP

from streams import positions

INPUTS = "trader-inputs"
NEVER, ZERO, DONE = TP(INPUTS, 0), TP(INPUTS, 1), TP(INPUTS, 2)
CHANGELOG = TP("brokerage-traders-changelog", 0)


class Consumer:
    """faust's consumer as the hook sees it, recording what happens in which order."""

    def __init__(self, committed: dict[TP, int | None], at: dict[TP, int]) -> None:
        self.committed = committed
        self.active: set[TP] = set()
        self.log: list[tuple[str, Any]] = []
        states = {tp: SimpleNamespace(has_valid_position=tp in at, position=at.get(tp))
                  for tp in committed}
        assignment = SimpleNamespace(state_value=states.get)
        aiokafka = SimpleNamespace(_subscription=SimpleNamespace(
            subscription=SimpleNamespace(assignment=assignment)))
        self._thread = SimpleNamespace(_ensure_consumer=lambda: aiokafka)

    def assignment(self) -> set[TP]:
        return set(self.committed)

    def resume_partitions(self, tps: set[TP]) -> None:
        self.active |= set(tps)
        self.log.append(("resume", set(tps)))

    async def seek_to_committed(self) -> dict[TP, int | None]:
        self.log.append(("seek to committed", None))
        return self.committed

    async def perform_seek(self) -> None:  # faust's: it calls seek_to_committed
        await self.seek_to_committed()
        self.log.append(("read offsets", None))

    async def _seek(self, tp: TP, offset: int) -> None:
        self.log.append(("seek", (tp, offset, tp in self.active)))


def recover(consumer: Consumer) -> None:
    """What faust's recovery does once the tables are restored."""
    consumer.resume_partitions({NEVER, ZERO, DONE, CHANGELOG})
    asyncio.run(consumer.perform_seek())


def hooked(committed: dict[TP, int | None], at: dict[TP, int]) -> Consumer:
    c = Consumer(committed, at)
    positions.position_before_delivery(SimpleNamespace(consumer=c),  # type: ignore[arg-type]
                                       INPUTS)
    return c


def test_inputs_resume_only_after_the_seek_and_uncommitted_ones_from_0(
        caplog: pytest.LogCaptureFixture) -> None:
    c = hooked({NEVER: None, ZERO: 0, DONE: 40, CHANGELOG: None},
               at={NEVER: 12, ZERO: 0, DONE: 40})
    with caplog.at_level(logging.WARNING, "brokerage.worker"):
        recover(c)
    assert c.log == [
        ("resume", {CHANGELOG}),  # the input partitions are held back
        ("seek to committed", None),
        ("seek", (NEVER, 0, False)),  # no commit: from 0, before any delivery
        ("seek", (ZERO, 0, False)),
        ("read offsets", None),  # faust's own bookkeeping of the seek, then
        ("resume", {NEVER, ZERO, DONE}),  # the inputs go
    ]
    assert c.active == {NEVER, ZERO, DONE, CHANGELOG}
    # Only the partition whose position had moved without a commit is worth a line.
    assert [r.getMessage() for r in caplog.records] == [
        "trader-inputs[0] has no commit but the consumer was at 12: reading it from 0"]


def test_held_partitions_no_longer_assigned_are_not_resumed() -> None:
    c = hooked({DONE: 40}, at={DONE: 40})
    c.resume_partitions({NEVER, DONE})  # NEVER was revoked before the seek
    asyncio.run(c.perform_seek())
    assert c.active == {DONE}
    asyncio.run(c.perform_seek())  # a later seek (faust's, flow stopped) resumes nothing
    assert c.log[-1] == ("resume", set())


def test_a_position_that_cannot_be_read_is_no_error() -> None:
    assert positions.position(SimpleNamespace(), TP(INPUTS, 0)) is None
    c = Consumer({TP(INPUTS, 3): None}, at={})
    assert positions.position(c, TP(INPUTS, 3)) is None  # assigned, no position yet
