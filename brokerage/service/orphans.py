"""Snapshot records that no head names any more (README: "How a trader is stored").

A new snapshot's write deletes the one before, and the head keeps that deletion as garbage
to repeat at the next snapshot, so one lost deletion (a crash between the records) heals.
Two lost in a row, or a trader's key rewritten as a whole state (`replay
--write-changelog`), leave snapshots that nothing reads and nothing deletes: they cost disk
and recovery time only. A quiescent table's orphans can be swept with tombstones."""

from __future__ import annotations

from collections.abc import Mapping

from brokerage.codec.state_log import SNAPSHOT, head_of, is_trader_key


def orphans(table: Mapping[bytes, bytes]) -> list[bytes]:
    """The snapshot keys of `table` (a changelog's latest values, a store's items) that no
    trader's head builds on nor keeps as garbage to delete."""
    named: dict[bytes, frozenset[int]] = {}
    out = []
    for key in table:
        if is_trader_key(key):
            continue
        trader, _, seq = key.partition(SNAPSHOT)
        if trader not in named:
            named[trader] = _named(table.get(trader))
        if not seq.isdigit() or int(seq) not in named[trader]:
            out.append(key)
    return sorted(out)


def _named(raw: bytes | None) -> frozenset[int]:
    head = head_of(raw) if raw is not None else None
    return frozenset((head.snapshot_seq, *head.garbage)) if head is not None else frozenset()
