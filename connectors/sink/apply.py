"""Apply a batch of trader-inputs messages to the sink's copy of the traders' states.

The same decoding and the same pure rules (core.apply) as the worker, on the same ordered
log, so the states, and the outputs the rows are made of, are the ones the worker has."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from brokerage.codec import avro
from brokerage.codec.models import MalformedRecord
from brokerage.domain import core
from brokerage.domain.refdata import RefData
from brokerage.domain.state import TraderState
from brokerage.service.frames import Input
from brokerage.service.handler import decode_event

from .project import Rows, project


@dataclass
class Batch:
    rows: Rows = field(default_factory=Rows)
    states: dict[str, tuple[TraderState, int]] = field(default_factory=dict)  # changed ones
    next_offsets: dict[int, int] = field(default_factory=dict)
    inputs: int = 0
    unusable: int = 0  # dead-lettered by the worker: nothing to record


def apply_batch(inputs: Iterable[Input], known: dict[str, TraderState], refdata: RefData,
                executions_topic: str) -> Batch:
    """`known`: the states before the batch (never changed); the batch has the new ones."""
    batch = Batch()
    for msg in inputs:
        batch.inputs += 1
        batch.next_offsets[msg.partition] = msg.offset + 1
        src = msg.source(executions_topic)
        try:
            event = decode_event(src, msg.key, msg.value or b"")
        except (avro.DecodeError, MalformedRecord):
            batch.unusable += 1
            continue
        event = replace(event, at_ms=src.timestamp_ms)
        trader = event.trader_id
        mine = batch.states.get(trader)
        old = mine[0] if mine else known.get(trader) or TraderState(trader)
        new, outputs = core.apply(old, event, refdata)
        if new is old:  # a duplicate, or a report the rules refused: nothing changed
            continue
        project(batch.rows, old, new, event, outputs, src, msg.partition, msg.offset, refdata)
        batch.states[trader] = (new, msg.offset)
    return batch
