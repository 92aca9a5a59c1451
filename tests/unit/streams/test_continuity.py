"""A hole in the input offsets must be caught before the event past it is applied."""

from __future__ import annotations

from streams.continuity import InputContinuity


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
