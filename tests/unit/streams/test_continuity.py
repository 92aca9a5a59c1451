"""A hole in the input offsets must be caught before the event past it is applied."""

from __future__ import annotations

from streams.continuity import InputContinuity, Marks, rewind_to
from streams.stalls import StallWatch


def test_contiguous_offsets_and_redeliveries_pass() -> None:
    c = InputContinuity(lambda p: 10)
    assert [c.gap(0, o) for o in (10, 11, 12)] == [None, None, None]
    assert c.gap(0, 11) is None  # a redelivery is not a hole
    assert c.gap(0, 13) is None


def test_a_jump_names_the_first_missing_offset_until_the_hole_is_filled() -> None:
    c = InputContinuity(lambda p: 0)
    assert c.gap(1, 0) is None and c.gap(1, 1) is None
    assert c.gap(1, 5) == 2
    assert c.gap(1, 6) == 2  # still missing: nothing past the hole is accepted
    assert c.gap(1, 2) is None


def test_a_new_assignment_starts_from_the_recorded_offset() -> None:
    committed = {3: 100}
    c = InputContinuity(committed.get)
    assert c.gap(3, 100) is None and c.gap(3, 101) is None
    c.forget()
    committed[3] = 90  # the record says 90 is next
    assert c.gap(3, 90) is None
    c.forget()
    assert c.gap(3, 120) == 90  # a new owner starting past the record skipped 90..119
    assert c.gap(4, 7) is None  # no record yet: wherever the group starts is the start


def test_redeliveries_below_the_record_keep_it() -> None:
    c = InputContinuity(lambda p: 50)
    assert c.gap(0, 40) is None and c.next(0) == 50  # a commit behind the record: re-read
    assert c.gap(0, 41) is None and c.next(0) == 50
    assert c.gap(0, 50) is None and c.next(0) == 51
    assert c.gap(0, 52) == 51


def test_a_rewind_never_commits_past_the_record_the_next_owner_starts_from() -> None:
    """Else the next owner, which resumes at the earlier of commit and record, would find
    the same kind of hole at once and restart again."""
    assert rewind_to(52, mark=43) == 43  # states since 43 were never written: re-read them
    assert rewind_to(52, mark=60) == 52
    assert rewind_to(52, mark=None) == 52


def test_start_is_the_next_offset_or_the_record() -> None:
    c = InputContinuity({2: 30}.get)
    assert c.start(2) == 30 and c.start(5) is None
    assert c.gap(2, 30) is None and c.start(2) == 31


def test_a_partition_is_stalled_only_after_three_looks_without_delivery_while_inputs_wait(
) -> None:
    w = StallWatch(looks=3)
    assert not w.stalled(4, None, waiting=True)
    assert not w.stalled(4, None, waiting=True)
    assert w.stalled(4, None, waiting=True)  # never delivered anything, inputs waiting
    w.reset()
    seen = [w.stalled(1, o, waiting=True) for o in (10, 20, 30, 40)]
    assert seen == [False, False, False, False]  # delivering: never stalled
    assert not w.stalled(1, 40, waiting=False)  # caught up: nothing waits
    assert not w.stalled(1, 40, waiting=True) and not w.stalled(1, 40, waiting=True)
    assert w.stalled(1, 40, waiting=True)


class _Msg:
    def __init__(self, partition: int, offset: int) -> None:
        self.partition, self.offset = partition, offset


class _Event:  # what Marks reads of a faust event (weak-referenceable, as faust's are)
    def __init__(self, partition: int, offset: int) -> None:
        self.message = _Msg(partition, offset)


def test_marks_record_each_owned_partitions_next_offset_once_per_commit() -> None:
    c, marks, table = InputContinuity(lambda p: None), Marks(), {}
    events = [_Event(p, o) for p, o in [(0, 5), (1, 7), (0, 6), (2, 3)]]
    for e in events:
        assert c.gap(e.message.partition, e.message.offset) is None
    marks.note(events)
    marks.write(table, c, owned={0, 2})  # type: ignore[arg-type]
    assert table == {b"0": b"7", b"2": b"4"}  # 1 was revoked meanwhile: no record
    table.clear()
    marks.write(table, c, owned={0, 1, 2})  # type: ignore[arg-type]
    assert table == {}  # nothing applied since the last commit
