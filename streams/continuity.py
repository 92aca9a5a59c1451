"""Detect, and repair, input ranges that faust skipped.

The merged input log is written by one idempotent, non-transactional producer and never
compacted, so its offsets are contiguous. faust can still skip a fetched range and commit
past it (it treats a hole as a "gap"; chaos runs showed whole ranges never applied). So the
worker keeps its own record of the next offset to apply per input partition, in a small
table whose changelog moves with the partition. An event past that record means a hole:
the worker moves the group's commit back to the hole and exits with RESTART_EXIT_CODE
before acknowledging anything; supervisors start it again and it reads the range.
A record ahead of the commit is harmless (a redelivery, which the rules de-duplicate).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import NoReturn

import faust
from faust.types import TP, EventT, TableT

from brokerage.config import Settings

from . import metrics
from .app import at

# The worker's exit code when it must re-read from its last commit: supervisors restart it.
RESTART_EXIT_CODE = 75
log = logging.getLogger("brokerage.worker")


class InputContinuity:
    def __init__(self, recorded: Callable[[int], int | None]) -> None:
        self._recorded = recorded  # the next offset to apply, as the table remembers it
        self._next: dict[int, int] = {}

    def forget(self) -> None:
        """After a rebalance, each partition starts again from its recorded offset."""
        self._next.clear()

    def gap(self, partition: int, offset: int) -> int | None:
        """The first missing offset if `offset` skips some, else None (redeliveries are fine)."""
        expected = self._next.get(partition)
        if expected is None:
            expected = self._recorded(partition)
        if expected is not None and offset > expected:
            return expected
        self._next[partition] = max(offset + 1, expected or 0)
        return None

    def next(self, partition: int) -> int:
        return self._next[partition]

    def start(self, partition: int) -> int | None:
        """Where reading must resume for nothing to be missed: the next offset to apply."""
        nxt = self._next.get(partition)
        return nxt if nxt is not None else self._recorded(partition)


class Marks:
    """Input partition -> its last applied event whose next offset is not yet recorded. The
    records are written just before each commit's flush (faust_fixes.flush_also), so a
    record is never behind the commit it precedes: one write per partition per commit, not
    one per batch (in a busy stack those were nearly half of all table writes)."""

    def __init__(self) -> None:
        self._last: dict[int, EventT] = {}

    def note(self, events: Iterable[EventT]) -> None:
        self._last.update({e.message.partition: e for e in events})

    def clear(self) -> None:
        self._last.clear()

    def write(self, table: TableT[bytes, bytes], continuity: InputContinuity,
              owned: set[int]) -> None:
        for p, event in self._last.items():
            if p in owned:  # revoked: faust discards its commit, the next owner reads on
                at(event)  # the record goes to the changelog partition of the input's
                table[key(p)] = b"%d" % continuity.next(p)
        self._last.clear()


def offsets_table(app: faust.App, settings: Settings) -> TableT[bytes, bytes]:
    """Input partition -> next offset to apply; written in the event's partition."""
    return app.Table("input-offsets", default=None, partitions=settings.partitions,
                     key_type=bytes, value_type=bytes)


def key(partition: int) -> bytes:
    return b"%d" % partition


def recorded(table: TableT[bytes, bytes], partition: int) -> int | None:
    raw = table.get(key(partition))
    return int(raw) if raw is not None else None


def resume_at(committed: int | None, table: TableT[bytes, bytes], partition: int) -> int:
    """Where a partition must resume for nothing to be missed: the earlier of the group's
    commit (everything before it is durable, but faust may have committed past a hole) and
    our record (it names the first input never applied, but a kill -9 can keep the record
    and lose the state writes before it: they go to another changelog). Never "wherever
    faust first delivers": a chaos run saw a partition's first delivery at offset 280."""
    start = committed if committed is not None else 0  # unknown: 0 is the safe side
    mark = recorded(table, partition)
    return min(mark, start) if mark is not None else start


def rewind_to(missing: int, mark: int | None) -> int:
    """Where a hole's re-reading starts: the hole, or our record if that is earlier (see
    `rewind_and_exit`)."""
    return missing if mark is None else min(missing, mark)


async def rewind_and_exit(app: faust.App, table: TableT[bytes, bytes], topic: str,
                          partition: int, missing: int, got: int, detail: str = ""
                          ) -> NoReturn:
    """Never apply or acknowledge past a hole: commit the hole's offset and exit, so the next
    owner (this worker, restarted) reads the range. Not past our record either: the next
    owner resumes at the earlier of the two (`resume_at`), and a commit past the record
    would be a hole to it too (chaos: restarts came in pairs so)."""
    metrics.INPUT_GAPS.inc()
    back = rewind_to(missing, recorded(table, partition))
    log.error("input gap: %s[%d] jumped from %d to %d; re-reading from %d (record %s%s)", topic,
              partition, missing, got, back, recorded(table, partition), detail)
    try:  # faust's own commit path only moves forward
        await app.consumer._commit({TP(topic, partition): back})  # type: ignore[attr-defined]
    except Exception:  # the restart reads from the last commit, at or before the hole
        log.exception("could not move the commit back to %d", back)
    restart("re-read from the hole")


def restart(reason: str) -> NoReturn:
    """Exit at once, acknowledging nothing more: the next owner reads from the last commit."""
    log.error("restarting: %s", reason)
    logging.shutdown()
    os._exit(RESTART_EXIT_CODE)
