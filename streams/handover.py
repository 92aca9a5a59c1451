"""Events fetched before a rebalance. `take_events`' buffer outlives a rebalance, and faust
drops such stale events only as they enter it. They must not be applied: they come again
from the commit, to whoever owns their partition now. They are dropped unacknowledged."""

from __future__ import annotations

from collections.abc import Sequence

import faust
from faust.types import EventT

from . import metrics


def drop(app: faust.App, events: Sequence[EventT]) -> None:
    """Never applied: marked acked so faust neither counts their offsets in a commit nor
    waits for them at a rebalance."""
    unacked = app.consumer._unacked_messages  # type: ignore[attr-defined]
    for e in events:
        e.message.acked = True
        unacked.discard(e.message)


def current(app: faust.App, events: Sequence[EventT], generation: int) -> Sequence[EventT]:
    """The events fetched in this consumer generation; the others are dropped."""
    if all(e.message.generation_id == generation for e in events):
        return events
    stale = [e for e in events if e.message.generation_id != generation]
    metrics.STALE_INPUTS.inc(len(stale))
    drop(app, stale)
    return [e for e in events if e.message.generation_id == generation]
