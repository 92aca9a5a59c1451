"""Events fetched before a rebalance are dropped unacknowledged after it: they come again."""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from streams import handover, metrics


class _Msg:
    def __init__(self, partition: int, offset: int, generation_id: int) -> None:
        self.topic, self.partition, self.offset = "inputs", partition, offset
        self.generation_id, self.acked = generation_id, False


class _Event:
    def __init__(self, partition: int, offset: int, generation_id: int = 3) -> None:
        self.message = _Msg(partition, offset, generation_id)


class _Consumer:  # what handover uses of faust's consumer
    def __init__(self) -> None:
        self._unacked_messages: WeakSet[_Msg] = WeakSet()


class _App:
    def __init__(self) -> None:
        self.consumer = _Consumer()


def _app_and(*events: _Event) -> Any:
    app = _App()
    for e in events:
        app.consumer._unacked_messages.add(e.message)
    return app


def test_events_fetched_before_a_rebalance_are_dropped_and_kept_out_of_the_commit() -> None:
    fresh = [_Event(0, 5), _Event(1, 9)]
    stale = [_Event(2, 34, generation_id=2), _Event(2, 35, generation_id=2)]
    app = _app_and(*fresh, *stale)
    assert handover.current(app, fresh, 3) is fresh  # type: ignore[arg-type]  # no copy
    before = metrics.STALE_INPUTS._value.get()
    kept = handover.current(app, [stale[0], fresh[0], stale[1], fresh[1]], 3)  # type: ignore[list-item]
    assert kept == [fresh[0], fresh[1]]
    assert [e.message.acked for e in stale] == [True, True]
    assert not any(e.message.acked for e in fresh)
    assert set(app.consumer._unacked_messages) == {e.message for e in fresh}
    assert metrics.STALE_INPUTS._value.get() - before == 2

