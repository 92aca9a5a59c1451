"""The rules agent's batch whose trader states are not written yet (write-behind, as Kafka
Streams' record cache: `worker_state_flush_seconds`), and each trader's partition. Reads on
the worker (its web views, its gauges) see these states before the table's."""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic

from brokerage.domain.state import TraderState
from brokerage.service.batch import Batch


class Unwritten:
    def __init__(self, new: Callable[[], Batch]) -> None:
        self.new = new
        self.batch, self.last, self.since = new(), dict[bytes, int](), monotonic()

    def take(self) -> tuple[Batch, dict[bytes, int]]:
        """The batch to write, and its traders' partitions; a fresh one takes its place."""
        out = self.batch, self.last
        self.batch, self.last, self.since = self.new(), {}, monotonic()
        return out

    def state_of(self, key: bytes) -> TraderState | None:
        return self.batch.state_of(key)

    def keys(self) -> list[bytes]:
        return self.batch.keys()
