"""The sequencer waits for more inputs only under load: at low load a wait is pure latency,
under load it makes frames fuller (the worker's cost goes per frame)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from brokerage.adapters.group import GroupMember
from streams.gather import Pace, gather


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_pace_follows_the_rate_and_decays_when_inputs_stop() -> None:
    clock = Clock()
    pace = Pace(tau=1.0, clock=clock)
    for _ in range(300):  # 300 a second for 3 s, 10 at a time
        clock.now += 10 / 300
        pace.note(10)
    assert pace.per_second == pytest.approx(300, rel=0.1)
    clock.now += 5  # quiet for 5 s
    assert pace.per_second < 5


class Member:
    """What GroupMember.consume gives: `per_call` messages a call, `calls` times."""

    def __init__(self, per_call: int) -> None:
        self.per_call, self.calls = per_call, 0

    def consume(self, n: int, timeout: float) -> list[Any]:
        self.calls += 1
        return ["m"] * min(n, self.per_call)


def test_no_wait_at_low_load_and_a_fuller_batch_under_load() -> None:
    clock = Clock()
    slow, busy = Pace(clock=clock), Pace(clock=clock)
    idle_member = Member(per_call=5)
    got = gather(cast(GroupMember, idle_member), ["first"], slow, window_s=0.5, above=150)
    assert got == ["first"] and idle_member.calls == 0  # 1 input lately: no waiting
    busy.note(1000)  # ~1,000 a second lately
    member = Member(per_call=5)
    got = gather(cast(GroupMember, member), ["first"], busy, window_s=0.5, above=150, room=21)
    assert len(got) == 21 and member.calls == 4  # gathered until the batch was full
    assert gather(cast(GroupMember, member), [], busy, 0.5, 150) == []  # nothing: nothing
