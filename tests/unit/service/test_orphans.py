"""Orphan snapshots: records no head builds on nor keeps as garbage. A table written as the
worker writes finds none; lost deletions and whole states rewritten over heads leave some,
and sweeping them changes no trader's state. Only those numbered at or below their
trader's head are sweepable: the worker may yet write any number above it."""

from __future__ import annotations

from brokerage.codec import state_log
from brokerage.codec.state import state_record, state_to_bytes
from brokerage.service.orphans import orphans
from tests.unit.codec.test_state_log import KEY, states, write_all


def snapshots(table: dict[bytes, bytes]) -> set[bytes]:
    return {k for k in table if not state_log.is_trader_key(k)}


def test_a_table_written_in_order_has_none() -> None:
    table, _, _ = write_all(states(600, 5))
    assert snapshots(table) and orphans(table) == []


def test_lost_deletions_leave_orphans_whose_sweep_keeps_every_state() -> None:
    seq = states(600, 6)
    _, log, _ = write_all(seq)
    table = {k: v for k, v in log if v is not None}  # every deletion lost
    head = state_log.head_of(table[KEY])
    assert head is not None
    named = {state_log.snapshot_key(KEY, s) for s in (head.snapshot_seq, *head.garbage)}
    found = orphans(table)
    assert set(found) == snapshots(table) - named and len(found) >= 3
    assert orphans(table, sweepable=True) == found  # all below the head's number
    # A snapshot written above the head (its head lost in a crash) is an orphan, but the
    # worker's next snapshot takes that number: never swept.
    above = state_log.snapshot_key(KEY, head.seq + 1)
    table[above] = table[found[0]]
    assert above in orphans(table) and above not in orphans(table, sweepable=True)
    del table[above]
    before = state_log.load(KEY, table.get)
    for k in found:
        del table[k]
    after = state_log.load(KEY, table.get)
    assert before is not None and after is not None
    assert state_record(after.state) == state_record(before.state) == state_record(seq[-1])


def test_a_whole_state_or_no_trader_names_no_snapshot() -> None:
    seq = states(300, 7)
    table, _, _ = write_all(seq)
    kept = snapshots(table)
    assert kept and orphans(table) == []
    table[KEY] = state_to_bytes(seq[-1])  # as `replay --write-changelog` writes it
    table[b"gone" + state_log.SNAPSHOT + b"4"] = table[next(iter(kept))]
    table[b"odd" + state_log.SNAPSHOT + b"x"] = b"?"
    assert set(orphans(table)) == kept | {b"gone\x00s4", b"odd\x00sx"}
    # With no head, the trader's next snapshots are numbered from 1 again: left alone.
    assert orphans(table, sweepable=True) == []
