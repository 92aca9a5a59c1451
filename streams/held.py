"""Applied inputs whose acknowledgement waits for their trader states to be written.

faust commits an input's offset once it is acknowledged, and a commit must never pass an
input whose effects are not in the table. Writing every unwritten state at each commit did
that, in one go: the worker's longest pause (~0.1-0.2 s every 2.8 s at 1,000 requests/s,
longer the more traders a commit interval touches). Instead, inputs are held in epochs of
`seconds`: when an epoch closes, the traders it left unwritten are due, and they are written
a few per batch over the next epoch; once all of an epoch's (and every earlier epoch's) are
written, its inputs are acknowledged, and faust's next commit takes them. Each trader is
still written about once per epoch, however many inputs it had (write-behind).

A trader written with a later state covers every earlier epoch: a write is the whole state
the rules left. Pure bookkeeping over the events; `hold` and `ack` touch faust's messages."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from time import monotonic
from typing import Any

import faust
from faust.types import EventT

from . import handover

SPREAD = 0.8  # an epoch's due writes are spread over this share of the next epoch


@dataclass
class _Epoch:
    no: int
    events: list[Any] = field(default_factory=list)
    left: int = 0  # its due traders not written yet


class Held:
    def __init__(self, seconds: float, clock: Callable[[], float] = monotonic) -> None:
        self.seconds, self.clock = seconds, clock
        self._closed: deque[_Epoch] = deque()  # in order, not yet acknowledged
        self._open = _Epoch(0)
        self._opened = self._paced = clock()
        self._due: dict[bytes, int] = {}  # trader -> the epoch waiting for its write
        self._rate = self._credit = 0.0  # traders written per second; owed so far

    def __len__(self) -> int:
        """Inputs held."""
        return len(self._open.events) + sum(len(e.events) for e in self._closed)

    def add(self, events: Sequence[Any]) -> None:
        self._open.events.extend(events)

    def close_if_due(self, dirty: Callable[[], Iterable[bytes]]) -> bool:
        """Close the open epoch once it is `seconds` old: `dirty()` are the traders not
        written now, which its inputs may have changed."""
        now = self.clock()
        if now - self._opened < self.seconds:
            return False
        self._accrue(now)  # at the pace so far; the new one starts now
        epoch, self._open, self._opened = self._open, _Epoch(self._open.no + 1), now
        for key in dirty():
            if key not in self._due:  # else an earlier epoch already waits for it
                self._due[key] = epoch.no
                epoch.left += 1
        self._closed.append(epoch)
        self._rate = len(self._due) / (self.seconds * SPREAD) if self.seconds > 0 else 0.0
        return True

    def to_write(self) -> list[bytes]:
        """The due traders to write now, oldest epoch first, at the pace that writes all of
        them within the next epoch."""
        self._accrue(self.clock())
        # 0 s epochs: every state is written after each batch, as before write-behind
        n = len(self._due) if self.seconds <= 0 else min(int(self._credit), len(self._due))
        self._credit -= n
        return list(islice(self._due, n))

    def _accrue(self, now: float) -> None:
        self._credit = self._credit + self._rate * (now - self._paced) if self._due else 0.0
        self._paced = now

    def written(self, keys: Iterable[bytes]) -> list[Any]:
        """These traders are written: the events of every epoch now complete, in order."""
        by_no = {e.no: e for e in self._closed}
        for key in keys:
            no = self._due.pop(key, None)
            if no is not None:
                by_no[no].left -= 1
        done: list[Any] = []
        while self._closed and self._closed[0].left == 0:
            done += self._closed.popleft().events
        return done

    def release(self) -> list[Any]:
        """Every state is written: all the events held."""
        done = [e for epoch in self._closed for e in epoch.events] + self._open.events
        self._closed.clear()
        self._open = _Epoch(self._open.no + 1)
        self._due.clear()
        self._rate = self._credit = 0.0
        return done


def hold(events: Sequence[EventT]) -> None:
    """One reference more on each message, so that the stream's own ack leaves them
    unacknowledged (faust counts an offset in a commit only at the last reference)."""
    for e in events:
        e.message.incref()


def ack(app: faust.App, events: Sequence[EventT]) -> None:
    """The held references let go: each message is acknowledged, unless it is of an earlier
    consumer generation (a rebalance since: never counted, it comes again)."""
    generation, consumer = app.consumer_generation_id, app.consumer
    stale = [e for e in events if e.message.generation_id != generation]
    for e in events:
        m = e.message
        if m.generation_id == generation and m.ack(consumer):
            app.sensors.on_message_out(m.tp, m.offset, m)  # the stream's ack did not say it
    handover.drop(app, stale)
