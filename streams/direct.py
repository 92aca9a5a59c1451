"""The trader table's hot path beside faust: reads and writes go straight to the partition's
RocksDB, and the changelog records through our librdkafka producer (`Outputs`) instead of
faust's aiokafka one, which took ~17 % of the worker's busy time (README, Performance).

faust still owns the table: it opens and closes the partitions' stores on rebalance and
recovers them from the same changelog topic, from the offset `persist` records. The order
is faust's too: the RocksDB write first, then the changelog records; a crash between the two
leaves the store ahead of the changelog, which a redelivery writes again (`Batch`: relog)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from faust.types import TP, TableT
from rocksdict import WriteBatch

from .outputs import Outputs


class DirectTable:
    def __init__(self, table: TableT[bytes, bytes], outs: Outputs) -> None:
        self.store: Any = table.data  # faust's rocksdb Store: one RocksDB per partition
        self.topic = table.changelog_topic.get_topic_name()
        self.outs = outs

    def reader(self, partition: int) -> Callable[[bytes], bytes | None]:
        get: Callable[[bytes], bytes | None] = self.store._db_for_partition(partition).get
        return get

    def write(self, records: list[tuple[int, bytes, bytes | None]]) -> None:
        """(partition, key, value) in order; value None deletes (also when gone locally: the
        deletion sent before may not have reached the changelog). One RocksDB write batch
        per partition (~3 µs a record where a put each took ~5), then the changelog records,
        in the same order."""
        batches: dict[int, WriteBatch] = {}
        for partition, key, value in records:
            wb = batches.get(partition)
            if wb is None:
                wb = batches[partition] = WriteBatch(raw_mode=True)
            if value is None:
                wb.delete(key)
            else:
                wb.put(key, value)
        for partition, wb in batches.items():
            self.store._db_for_partition(partition).write(wb)
        for partition, key, value in records:
            self.outs.changelog(self.topic, partition, key, value)

    def persist(self, offsets: dict[int, int]) -> None:
        """Record, per partition, the changelog offset RocksDB holds everything up to (once
        it is all delivered), so that recovery replays only what came after. A partition no
        longer open here is skipped: its next owner replays a little more."""
        for partition, offset in offsets.items():
            if partition in self.store._dbs:
                self.store.set_persisted_offset(TP(self.topic, partition), offset)
