"""`brokerage backup`: a consistent snapshot of the trader tables, taken from the changelog.

Each changelog partition is read up to its end offset at the start of the backup, so every
partition's copy is exactly the table as of one recorded offset, whatever the workers do
meanwhile (their local RocksDB may even be ahead of the changelog after a crash; the
changelog is what a worker recovers from). The copy is written as a RocksDB database per
partition in faust's own layout, with that offset as faust's persisted offset, so a worker
restored from it catches up from the next offset. Values stay as stored: sealed when the
tables are encrypted. A ledger export (balances, holdings, open trades per trader) and a
manifest with a SHA-256 per file (HMAC-signed when a state key ring is configured) go beside.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from brokerage.adapters.kafka import consumer
from brokerage.config import Settings
from brokerage.service.verify import changelog_topic

from . import ledger, manifest, tables


@dataclass
class Partition:
    end: int  # the changelog's end offset when the backup started
    values: dict[bytes, bytes] = field(default_factory=dict)


def read_changelog(bootstrap: str, topic: str, timeout: float = 120) -> dict[int, Partition]:
    """Latest value per key of every partition, up to the end offsets found first."""
    c = consumer(bootstrap, f"backup-{uuid.uuid4().hex}", **{"enable.partition.eof": False})
    try:
        meta = c.list_topics(topic, timeout=30).topics.get(topic)
        if meta is None or meta.error is not None or not meta.partitions:
            raise RuntimeError(f"no changelog topic {topic}: is the app id right?")
        parts = {p: Partition(c.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1])
                 for p in meta.partitions}
        behind = {p for p, part in parts.items() if part.end > 0}
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in behind])
        deadline = time.monotonic() + timeout
        while behind:
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not read {topic} to its end within {timeout:.0f} s")
            msg = c.poll(1.0)
            if msg is None:  # compaction may have removed the last offsets: ask the position
                done = c.position([TopicPartition(topic, p) for p in behind])
                behind -= {tp.partition for tp in done if tp.offset >= parts[tp.partition].end}
                continue
            if msg.error() is not None:
                continue
            p, off, part = msg.partition() or 0, msg.offset() or 0, parts[msg.partition() or 0]
            if off >= part.end:
                continue  # written after the backup started: not in this snapshot
            key, value = msg.key(), msg.value()
            if key is not None:
                if value is None:
                    part.values.pop(key, None)
                else:
                    part.values[key] = value
            if off >= part.end - 1:
                behind.discard(p)
                c.incremental_unassign([TopicPartition(topic, p)])
        return parts
    finally:
        c.close()


def take(bootstrap: str, s: Settings, out: Path) -> manifest.Manifest:
    if out.exists() and any(out.iterdir()):
        raise RuntimeError(f"backup directory {out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    topic = changelog_topic(s)
    parts = read_changelog(bootstrap, topic)
    offsets = {}
    for p, part in sorted(parts.items()):
        if part.end > 0:
            tables.write_partition(out, p, part.values, part.end - 1)
            offsets[p] = part.end - 1
    ledger_file = ledger.write(out, {p: part.values for p, part in parts.items()})
    m = manifest.build(out, s.app_id, topic, offsets, ledger_file)
    manifest.write(out, m)
    return m
