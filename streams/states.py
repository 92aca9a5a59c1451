"""The worker's trader-state writes: behind the rules (unwritten.py), a few per batch, and each
input acknowledged once the states it changed are written (held.py)."""

from __future__ import annotations

from collections.abc import Sequence

import faust
from faust.types import EventT

from . import handover, held, metrics
from .direct import DirectTable
from .unwritten import Unwritten


class StateWrites:
    def __init__(self, app: faust.App, direct: DirectTable, unwritten: Unwritten,
                 seconds: float) -> None:
        self.app, self.direct, self.unwritten = app, direct, unwritten
        self.held = held.Held(seconds)

    def applied(self, events: Sequence[EventT]) -> None:
        """A batch is applied and its outputs sent: hold its inputs, write what is due. While
        faust waits for every input (a rebalance, a stop), everything goes at once."""
        held.hold(events)
        self.held.add(events)
        if self.app.flow_control.is_active():
            self.due()
        else:
            self.all()

    def due(self) -> None:
        """Close the epoch if it is time, write the due traders' share, acknowledge the
        inputs of every epoch now written."""
        self.held.close_if_due(self.unwritten.dirty)
        keys = self.held.to_write()
        if keys:
            with metrics.WRITE_SECONDS.time():
                self.direct.write(self.unwritten.take_some(keys))
        held.ack(self.app, self.held.written(keys))
        metrics.HELD_INPUTS.set(len(self.held))

    def all(self) -> None:
        """Write every unwritten state and let every held input go (a rebalance or a stop
        waits for them all)."""
        batch, last = self.unwritten.take()
        with metrics.WRITE_SECONDS.time():
            self.direct.write([(last[key], k, v)
                               for key, records in batch.writes().items() for k, v in records])
        held.ack(self.app, self.held.release())
        metrics.HELD_INPUTS.set(0)

    def drop(self) -> None:
        """After an assignment: unwritten states and held inputs are of the last one; the
        inputs come again, from the committed offsets, to whoever owns them now."""
        self.unwritten.take()
        handover.drop(self.app, self.held.release())
        metrics.HELD_INPUTS.set(0)
