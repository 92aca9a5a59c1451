"""A trader's state in the table, written in proportion to what changed.

Under the trader's key: a small head (schemas/trader_head.avsc) with the current cash,
holdings and totals, the snapshot it builds on and the changes since. Under
`<trader>\\x00s<seq>`: that snapshot, a whole TraderState. A write is the head with one more
change; once the changes outgrow their budget, a new snapshot (new key), then the head on it,
then the old snapshot's deletion. All of a trader's records share a changelog partition and
are written in that order, so any prefix of the log is a consistent state: a head never
names a snapshot that is not before it. A whole TraderState under the trader's key (written
before this layout, or by `audit --write-changelog`) is read as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from math import isqrt
from typing import Any

from brokerage.domain.records import fast_init
from brokerage.domain.state import TraderState
from brokerage.security.envelope import seal_state

from . import state_change as sc
from . import state_writer as w
from .avro import MAGIC, current, decode
from .state import (
    positions_to,
    processed_from,
    processed_to,
    scalars_from,
    share_totals_to,
    state_from_bytes,
    state_plain,
    state_to_bytes,
    totals_to,
    trade_from,
)

SNAPSHOT = b"\x00s"  # trader ids never hold a NUL (codec/models.py checks them)
MAX_CHANGES = 64  # bounds the work of a read
MIN_BUDGET = 2048  # bytes of changes always allowed before a snapshot
_PREFIX = w._record_of("trader_head", "changes")


class MissingSnapshot(Exception):
    """A head names a snapshot the table does not hold: the table is damaged."""


@fast_init
@dataclass(frozen=True, slots=True)
class Head:
    seq: int = 0
    snapshot_seq: int = -1  # -1: builds on an empty state
    snapshot_bytes: int = 0
    garbage: tuple[int, ...] = ()  # superseded snapshots, deleted again at the next one
    changes: tuple[bytes, ...] = ()  # encoded StateChange records


@fast_init
@dataclass(frozen=True, slots=True)
class Stored:
    state: TraderState
    head: Head | None  # None: the key holds a whole TraderState
    raw: bytes  # the key's value


def snapshot_key(key: bytes, seq: int) -> bytes:
    return key + SNAPSHOT + b"%d" % seq


def is_trader_key(key: bytes) -> bool:
    return SNAPSHOT not in key


def load(key: bytes, get: Callable[[bytes], bytes | None], raw: bytes | None = None
         ) -> Stored | None:
    raw = get(key) if raw is None else raw
    if raw is None:
        return None
    plain = state_plain(raw)
    if plain[2:10] != current("trader_head").fingerprint:
        return Stored(state_from_bytes(raw), None, raw)
    r = decode("trader_head", plain)
    head = _head(r)
    if head.snapshot_seq < 0:
        state = TraderState(r["trader_id"])
    else:
        snap = get(snapshot_key(key, head.snapshot_seq))
        if snap is None:
            raise MissingSnapshot(f"{key!r} builds on snapshot {head.snapshot_seq}: not found")
        state = state_from_bytes(snap)
    scalars_from(r, state)
    tid = r["trader_id"]
    for c in r["changes"]:
        sc.apply(state, sc.from_record(c, trade_from, lambda p: processed_from(p, tid)))
    return Stored(state, head, raw)


def head_of(raw: bytes) -> Head | None:
    """The head under a trader's key, without its snapshot; None: a whole TraderState."""
    plain = state_plain(raw)
    if plain[2:10] != current("trader_head").fingerprint:
        return None
    return _head(decode("trader_head", plain))


def _head(r: dict[str, Any]) -> Head:
    return Head(r["seq"], r["snapshot_seq"], r["snapshot_bytes"], tuple(r["garbage"]),
                tuple(w._write(w.CHANGE, c) for c in r["changes"]))


def states_of(table: Mapping[bytes, bytes]) -> dict[bytes, TraderState]:
    """Every trader's state in a whole table (a changelog's last values, a store's items)."""
    out = {}
    for k, v in table.items():
        if is_trader_key(k):
            found = load(k, table.get, v)
            if found is not None:
                out[k] = found.state
    return out


def writes(key: bytes, before: Stored | None, state: TraderState, relog: bool = False
           ) -> tuple[list[tuple[bytes, bytes | None]], Stored]:
    """The records that store `state` (None: delete), to be written in this order.
    `relog`: the batch re-read inputs, so the local store may be ahead of the changelog;
    then nothing may build on a snapshot the changelog might lack."""
    head = before.head if before else Head()
    if head is not None and not (relog and head.snapshot_seq >= 0):
        change = sc.diff(before.state if before else TraderState(state.trader_id), state)
        if change is not None:
            added = (sc.encode(change, processed_to),) if change else ()
            changes = head.changes + added
            if _within_budget(head, changes):
                new = Head(head.seq + 1, head.snapshot_seq, head.snapshot_bytes, head.garbage,
                           changes)
                raw = _head_bytes(state, new)
                return [(key, raw)], Stored(state, new, raw)
    seq = head.seq + 1 if head else 1
    snap = state_to_bytes(state)
    old = (*head.garbage, head.snapshot_seq) if head else ()
    new = Head(seq, seq, len(snap), tuple(s for s in old[-1:] if s >= 0))
    raw = _head_bytes(state, new)
    return ([(snapshot_key(key, seq), snap), (key, raw)]
            + [(snapshot_key(key, s), None) for s in old if s >= 0]), Stored(state, new, raw)


def _within_budget(head: Head, changes: tuple[bytes, ...]) -> bool:
    """Changes until rewriting them each time costs more than a snapshot would: about
    sqrt(2 * snapshot * change) bytes minimises the bytes written per event."""
    if len(changes) > MAX_CHANGES:
        return False
    size = sum(map(len, changes))
    per = size // max(1, len(changes))
    return size <= max(MIN_BUDGET, isqrt(2 * head.snapshot_bytes * per))


def _head_bytes(s: TraderState, h: Head) -> bytes:
    prefix = w._write(_PREFIX, {
        "version": 1, "trader_id": s.trader_id, "seq": h.seq, "snapshot_seq": h.snapshot_seq,
        "snapshot_bytes": h.snapshot_bytes, "garbage": list(h.garbage),
        "cash_available": s.cash_available, "cash_blocked": s.cash_blocked,
        "positions": positions_to(s),
        "totals": totals_to(s),
        "share_totals": share_totals_to(s), "days_closed": list(s.days_closed)})
    return seal_state(b"".join((MAGIC, current("trader_head").fingerprint, prefix,
                                w._array(list(h.changes)))))
