"""Inputs held until the trader states they changed are written (streams/held.py): epochs,
the pace of the due writes, the order of release; and faust's reference counting."""

from __future__ import annotations

from typing import Any
from weakref import WeakSet

from faust.types.tuples import ConsumerMessage

from streams import held
from streams.held import Held


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_epoch_is_released_only_once_every_trader_it_left_unwritten_is_written() -> None:
    clock = Clock()
    h = Held(2.5, clock)
    h.add(["e1", "e2"])
    clock.now = 2.4
    assert not h.close_if_due(lambda: [b"A", b"B"])  # not 2.5 s old yet
    clock.now = 2.5
    assert h.close_if_due(lambda: [b"A", b"B", b"C", b"D"])
    h.add(["e3"])  # the next epoch's
    assert h.to_write() == [] and len(h) == 3  # the writes are spread over the next epoch
    clock.now = 3.5  # 1 s of 2 (80 % of the epoch): half of the four
    first = h.to_write()
    assert first == [b"A", b"B"]
    assert h.written(first) == []  # C and D still due
    clock.now = 4.5
    rest = h.to_write()
    assert rest == [b"C", b"D"]
    assert h.written(rest) == ["e1", "e2"]  # not e3: its epoch is still open
    assert len(h) == 1


def test_a_trader_due_for_an_earlier_epoch_holds_back_the_later_ones_too() -> None:
    clock = Clock()
    h = Held(1.0, clock)
    h.add(["e1"])
    clock.now = 1.0
    h.close_if_due(lambda: [b"A", b"B"])
    assert h.written([b"B"]) == []
    h.add(["e2"])
    clock.now = 2.0
    h.close_if_due(lambda: [b"A", b"C"])  # A is still due for the first epoch
    assert h.written([b"C"]) == []  # the second is written, but not the first
    assert h.written([b"A"]) == ["e1", "e2"]  # A's write covers both, released in order
    assert len(h) == 0


def test_an_epoch_that_left_nothing_unwritten_is_released_at_once_and_pacing_resets() -> None:
    clock = Clock()
    h = Held(1.0, clock)
    h.add(["e1"])
    clock.now = 1.0
    assert h.close_if_due(list)
    assert h.to_write() == [] and h.written([]) == ["e1"]
    clock.now = 100.0  # a long quiet spell earns no credit for later writes
    h.add(["e2"])
    h.close_if_due(lambda: [b"A", b"B", b"C"])
    assert h.to_write() == []


def test_release_lets_everything_go_and_zero_seconds_writes_all_due_at_once() -> None:
    clock = Clock()
    h = Held(1.0, clock)
    h.add(["e1"])
    clock.now = 1.0
    h.close_if_due(lambda: [b"A"])
    h.add(["e2"])
    assert h.release() == ["e1", "e2"] and len(h) == 0
    assert h.written([b"A"]) == [] and h.to_write() == []

    now = Held(0.0, clock)
    now.add(["e3"])
    now.close_if_due(lambda: [b"A", b"B"])
    keys = now.to_write()
    assert keys == [b"A", b"B"] and now.written(keys) == ["e3"]


class _Consumer:  # what faust's Message.ack and held.ack use of the consumer
    def __init__(self) -> None:
        self.acked: list[int] = []
        self._unacked_messages: WeakSet[ConsumerMessage] = WeakSet()

    def ack(self, m: ConsumerMessage) -> bool:
        self.acked.append(m.offset)
        return True


class _Sensors:
    def __init__(self) -> None:
        self.out: list[int] = []

    def on_message_out(self, tp: Any, offset: int, message: ConsumerMessage) -> None:
        self.out.append(offset)


class _App:
    def __init__(self, generation: int) -> None:
        self.consumer, self.sensors = _Consumer(), _Sensors()
        self.consumer_generation_id = generation


class _Event:
    def __init__(self, offset: int, generation: int) -> None:
        self.message = ConsumerMessage("inputs", 0, offset, 0.0, 0, None, None, b"", None,
                               generation_id=generation)
        self.message.incref()  # as faust's conductor does on delivery

    def stream_ack(self, consumer: _Consumer) -> bool:  # what take_events does after a batch
        return self.message.ack(consumer)  # type: ignore[arg-type]


def test_a_held_message_stays_unacknowledged_through_the_streams_ack_until_released() -> None:
    app = _App(generation=4)
    fresh, stale = _Event(7, 4), _Event(8, 3)
    for e in (fresh, stale):
        app.consumer._unacked_messages.add(e.message)
    events: Any = [fresh, stale]  # faust's events, as far as held uses them
    held.hold(events)
    assert not fresh.stream_ack(app.consumer) and not stale.stream_ack(app.consumer)
    assert app.consumer.acked == []  # faust would not count them in a commit
    held.ack(app, events)  # type: ignore[arg-type]
    assert app.consumer.acked == [7] and app.sensors.out == [7]
    # The one of an earlier generation is never counted; faust stops waiting for it.
    assert stale.message.acked and stale.message not in app.consumer._unacked_messages
