"""What the audit commands write to the trader table's changelog: a replay's rebuilt states,
and tombstones for orphan snapshots (orphans.py). For a quiescent system; a worker's stores
take the records when they next read the changelog."""

from __future__ import annotations

from brokerage.adapters.kafka import producer
from brokerage.adapters.topic_reader import read_all
from brokerage.codec.state_log import SNAPSHOT, is_trader_key

from .replay import Rebuilt, latest


def publish(bootstrap: str, changelog: str, rebuilt: Rebuilt) -> None:
    """The rebuilt whole states as the table's latest values, then tombstones for the
    snapshots of those traders: a whole state names none, so they would be orphans."""
    where: dict[bytes, int] = {}
    live = latest(read_all(bootstrap, changelog), where)
    p = producer(bootstrap)
    for key, value in rebuilt.states.items():
        p.produce(changelog, value, key, partition=rebuilt.partitions[key])
    for key in live:  # after the states: a prefix of the log never lacks a named snapshot
        if not is_trader_key(key) and key.partition(SNAPSHOT)[0] in rebuilt.states:
            p.produce(changelog, None, key, partition=where[key])
    if p.flush(60):
        raise RuntimeError("could not write the changelog")


def sweep(bootstrap: str, changelog: str, keys: dict[bytes, int]) -> None:
    """Tombstones for these snapshot keys, each to its partition of the changelog."""
    p = producer(bootstrap)
    for key, partition in keys.items():
        p.produce(changelog, None, key, partition=partition)
    if p.flush(60):
        raise RuntimeError("could not write the tombstones")
