"""Rebuild every trader's state from the merged input log, through the same handler the
worker runs, and compare it with the live tables (their changelog) or a snapshot."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import Message

from brokerage.codec.state_log import states_of
from brokerage.domain.refdata import RefData

from .frames import inputs_of
from .handler import handle


@dataclass
class Rebuilt:
    states: dict[bytes, bytes] = field(default_factory=dict)
    partitions: dict[bytes, int] = field(default_factory=dict)  # where each trader lives
    events: int = 0


def rebuild(inputs: Iterable[Message], refdata: RefData, executions_topic: str) -> Rebuilt:
    out = Rebuilt()
    for inp in (i for msg in inputs for i in inputs_of(msg)):
        key = inp.key
        src = inp.source(executions_topic)
        result = handle(src, key, inp.value, out.states.get(key) if key else None, refdata)
        out.events += 1
        if result.state is not None and key:
            out.states[key] = result.state
            out.partitions[key] = inp.partition
    return out


def latest(changelog: Iterable[Message], partitions: dict[bytes, int] | None = None
           ) -> dict[bytes, bytes]:
    """The table as its changelog describes it: the last value per key (and, into
    `partitions`, the partition of each key's last record)."""
    table: dict[bytes, bytes] = {}
    for msg in changelog:
        key, value = msg.key(), msg.value()
        if key is None:
            continue
        if value is None:
            table.pop(key, None)
        else:
            table[key] = value
        if partitions is not None:
            partitions[key] = msg.partition() or 0
    return table


def diff(rebuilt: Mapping[bytes, bytes], live: Mapping[bytes, bytes]) -> list[str]:
    """Human-readable differences between two tables' states; empty when replay equals live."""
    out: list[str] = []
    ours, theirs = states_of(rebuilt), states_of(live)
    for key in sorted(set(ours) | set(theirs)):
        who = key.decode("utf-8", "replace")
        a, b = ours.get(key), theirs.get(key)
        if a is None or b is None:
            out.append(f"{who}: only in {'live' if a is None else 'replay'}")
        elif a != b:
            fields = [f for f in ("cash_available", "cash_blocked", "positions", "trades",
                                  "totals", "share_totals", "requests", "exec_ids")
                      if getattr(a, f) != getattr(b, f)]
            out.append(f"{who}: differs in {', '.join(fields) or 'days closed'}")
    return out
