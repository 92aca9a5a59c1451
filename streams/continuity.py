"""Detect input ranges that faust skipped.

The merged input log is written by one idempotent, non-transactional producer and never
compacted, so its offsets are contiguous: a jump between two events of a partition means
faust dropped messages (it can treat a hole as a "gap" and commit past it). Nothing past a
hole may be applied or acknowledged; the worker restarts and reads again from its commit.
"""

from __future__ import annotations

from collections.abc import Callable

# The worker's exit code when it must re-read from its last commit: supervisors restart it.
RESTART_EXIT_CODE = 75


class InputContinuity:
    def __init__(self, committed: Callable[[int], int | None]) -> None:
        self._committed = committed  # the partition's committed offset: where a new owner starts
        self._next: dict[int, int] = {}

    def forget(self) -> None:
        """After a rebalance, each partition starts again from its committed offset."""
        self._next.clear()

    def gap(self, partition: int, offset: int) -> int | None:
        """The first missing offset if `offset` skips some, else None (redeliveries are fine)."""
        expected = self._next.get(partition)
        if expected is None:
            expected = self._committed(partition)
        if expected is not None and offset > expected:
            return expected
        self._next[partition] = max(offset + 1, self._next.get(partition, 0))
        return None
