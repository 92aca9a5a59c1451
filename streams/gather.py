"""How the sequencer sizes its batches: under load it waits a little for more inputs, so each
frame holds more of them (the worker pays faust's per-message cost, ~0.4 ms, per frame); at
low load it does not wait, since there is nothing to gather and every wait is latency."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from confluent_kafka import Message

from brokerage.adapters.group import GroupMember


class Pace:
    """Inputs per second lately: a count that decays with time constant `tau` seconds."""

    def __init__(self, tau: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.tau, self.clock = tau, clock
        self._level, self._at = 0.0, clock()

    def note(self, n: int) -> None:
        now = self.clock()
        self._level = self._level * math.exp(-(now - self._at) / self.tau) + n
        self._at = now

    @property
    def per_second(self) -> float:
        return self._level * math.exp(-(self.clock() - self._at) / self.tau) / self.tau


def gather(member: GroupMember, got: list[Message], pace: Pace, window_s: float,
           above: float, room: int = 1000) -> list[Message]:
    """`got` plus what arrives within `window_s`, if inputs come faster than `above` a
    second (else `got` as it is), up to `room` messages."""
    pace.note(len(got))
    if not got or window_s <= 0 or pace.per_second < above:
        return got
    until = time.monotonic() + window_s
    while room > len(got) and (left := until - time.monotonic()) > 0:
        more = member.consume(room - len(got), timeout=left)
        pace.note(len(more))
        got = got + more
    return got
