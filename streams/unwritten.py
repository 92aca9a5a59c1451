"""The rules agent's batch whose trader states are not written yet (write-behind, as Kafka
Streams' record cache: `worker_state_flush_seconds`, states.py), and each trader's partition.
Reads on the worker (its web views, its gauges) see these states before the table's."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from brokerage.codec import state_log
from brokerage.domain.state import TraderState
from brokerage.service.batch import Batch, StoredCache


class Unwritten:
    def __init__(self, new: Callable[[], Batch]) -> None:
        self.new = new
        self.batch, self.last = new(), dict[bytes, int]()

    def take(self) -> tuple[Batch, dict[bytes, int]]:
        """The batch to write, and its traders' partitions; a fresh one takes its place."""
        out = self.batch, self.last
        self.batch, self.last = self.new(), {}
        return out

    def take_some(self, keys: Iterable[bytes]) -> list[tuple[int, bytes, bytes | None]]:
        """These traders' records to write now, as (partition, key, value), in order; the
        batch forgets them (the table holds them next)."""
        keys = list(keys)
        writes = self.batch.writes(keys)
        at = {key: self.last.pop(key) for key in writes}
        for key in keys:  # clean ones too: the batch forgot them as well
            self.last.pop(key, None)
        return [(at[key], k, v) for key, records in writes.items() for k, v in records]

    def dirty(self) -> list[bytes]:
        return self.batch.dirty()

    def state_of(self, key: bytes) -> TraderState | None:
        return self.batch.state_of(key)

    def keys(self) -> list[bytes]:
        return self.batch.keys()


def state_in(key: bytes, table: Any, unwritten: Unwritten | None,
             cache: StoredCache | None = None, raw: bytes | None = None) -> TraderState | None:
    """A trader's state as the rules last left it: unwritten, else the table's."""
    state = unwritten.state_of(key) if unwritten else None
    if state is None:
        stored = (cache.get(key, raw) if cache and raw else None) or state_log.load(
            key, table.get, raw)
        state = stored.state if stored else None
    return state


def states_in(table: Any, unwritten: Unwritten | None, cache: StoredCache | None = None
              ) -> Iterator[TraderState]:
    """Every trader's state here, the unwritten ones included (a trade booked since the last
    write must not look missing to the connector's reconciliation, nor its block to the
    gauges). `table`: the trader table (get, items)."""
    seen = set()
    for key, raw in list(table.items()):
        if raw and state_log.is_trader_key(key):
            seen.add(key)
            if (s := state_in(key, table, unwritten, cache, raw)) is not None:
                yield s
    if unwritten:  # traders new since the last write: not in the table yet
        yield from (s for k in unwritten.keys()
                    if k not in seen and (s := unwritten.state_of(k)) is not None)
