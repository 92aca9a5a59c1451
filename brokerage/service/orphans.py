"""Snapshot records that no head names any more (README: "How a trader is stored").

A new snapshot's write deletes the one before, and the head keeps that deletion as garbage
to repeat at the next snapshot, so one lost deletion (a crash between the records) heals.
Two lost in a row, or a trader's key rewritten as a whole state (`replay
--write-changelog`), leave snapshots that nothing reads and nothing deletes: they cost disk
and recovery time only, and can be swept with tombstones.

Only a snapshot numbered at or below its trader's head is swept: the worker numbers new
snapshots above the head it read, so a tombstone can never land on one it writes meanwhile.
A trader without a head (a whole state, or no key) numbers its next snapshots from 1."""

from __future__ import annotations

from collections.abc import Mapping

from brokerage.codec.state_log import SNAPSHOT, Head, head_of, is_trader_key


def orphans(table: Mapping[bytes, bytes], sweepable: bool = False) -> list[bytes]:
    """The snapshot keys of `table` (a changelog's latest values, a store's items) that no
    trader's head builds on nor keeps as garbage to delete; `sweepable`: only those that
    are safe to delete even while a worker writes."""
    heads: dict[bytes, Head | None] = {}
    out = []
    for key in table:
        if is_trader_key(key):
            continue
        trader, _, raw_seq = key.partition(SNAPSHOT)
        if trader not in heads:
            raw = table.get(trader)
            heads[trader] = head_of(raw) if raw is not None else None
        head, seq = heads[trader], int(raw_seq) if raw_seq.isdigit() else None
        named = head is not None and seq in (head.snapshot_seq, *head.garbage)
        safe = head is not None and seq is not None and seq <= head.seq
        if not named and (safe or not sweepable):
            out.append(key)
    return sorted(out)
