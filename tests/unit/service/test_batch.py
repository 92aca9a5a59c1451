"""The batched path (`Batch`) must be the per-event path (`handle`) with fewer writes: for the
same inputs, in the same order, cut into batches anywhere, the same messages go out in the
same order and the table ends with the same states. Inputs: valid, broken and absurd requests
(the fuzz generator), redeliveries, and the exchange's reports for the orders they cause."""

from __future__ import annotations

import random

import pytest

from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, order_from_record
from brokerage.codec.state import state_record
from brokerage.codec.state_log import states_of
from brokerage.domain import events as ev
from brokerage.domain import refdata
from brokerage.domain.types import ExecType
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.handler import Out, Send, Source, handle
from tests.fuzz_support import generate

RD = refdata.load()
Input = tuple[Source, bytes | None, bytes]


def inputs(seed: int) -> list[Input]:
    """Requests; then, in a shuffled order, acks, fills and cancels of their orders, with
    some inputs delivered twice."""
    rng = random.Random(seed)
    out: list[Input] = [(Source("requests", 0, i, False, 1_000 + i), m.key, m.value)
                        for i, m in enumerate(generate(seed, 200, traders=8))]
    reports: list[Input] = []
    for s in one_by_one(out)[0]:
        if s.to is Out.ORDERS:
            o = order_from_record(avro.decode("order", s.value))
            kind = rng.choice([ExecType.NEW, ExecType.TRADE, ExecType.CANCELED])
            qty = rng.randint(1, o.quantity) if kind is ExecType.TRADE else 0
            rep = ev.ExecutionReport(f"x{len(reports)}", o.trader_id, o.trade_id, kind,
                                     o.version, qty, (o.limit_price or 0) if qty else 0)
            reports.append((Source("executions", 0, len(reports), True, 9_000),
                            o.trader_id.encode(),
                            avro.encode("execution_report", execution_to_record(rep, 1))))
    rng.shuffle(reports)
    out += reports
    for _ in range(20):  # redeliveries, as after a crash
        out.insert(rng.randrange(len(out)), out[rng.randrange(len(out))])
    return out


REPEATS: dict[str, list[bool]] = {"one": [], "batched": []}


def one_by_one(items: list[Input]) -> tuple[list[Send], dict[bytes, bytes]]:
    table: dict[bytes, bytes] = {}
    sends: list[Send] = []
    REPEATS["one"] = []
    for src, key, value in items:
        r = handle(src, key, value, table.get(key) if key else None, RD)
        if r.state is not None and key:
            table[key] = r.state
        sends += r.sends
        REPEATS["one"].append(r.repeat)
    return sends, table


def batched(items: list[Input], cuts: set[int], cache: StoredCache | None
            ) -> tuple[list[Send], dict[bytes, bytes], int]:
    table: dict[bytes, bytes] = {}
    sends: list[Send] = []
    writes = 0
    batch = Batch(RD, cache)
    REPEATS["batched"] = []
    for i, (src, key, value) in enumerate(items):
        r = batch.apply(src, key, value, table.get)
        sends += r.sends
        REPEATS["batched"].append(r.repeat)
        if i in cuts or i == len(items) - 1:
            done = batch.writes()
            writes += len(done)
            for records in done.values():
                for k, v in records:
                    if v is None:
                        table.pop(k, None)
                    else:
                        table[k] = v
            batch = Batch(RD, cache)
    return sends, table, writes


def comparable(sends: list[Send]) -> list[tuple[object, ...]]:
    # A dead letter is stamped with the wall clock when it is made: not part of the result.
    return [(s.to, s.key, s.value, [h for h in s.headers if h[0] != "dlq.timestamp_ms"])
            for s in sends]


@pytest.mark.parametrize(("seed", "every", "cached"),
                         [(1, 1, False), (2, 7, True), (3, 60, False), (4, 10_000, True)])
def test_batches_send_and_store_exactly_what_single_events_do(seed: int, every: int,
                                                              cached: bool) -> None:
    """`every`: about one cut per that many inputs (1: every input is its own batch)."""
    items = inputs(seed)
    cuts = set(random.Random(seed).sample(range(len(items)), len(items) // every))
    want_sends, want_table = one_by_one(items)
    got_sends, got_table, writes = batched(items, cuts, StoredCache() if cached else None)
    assert comparable(got_sends) == comparable(want_sends)
    assert states_of(got_table) == states_of(want_table)  # stored as changes: other bytes
    assert [(k, state_record(s)) for k, s in sorted(states_of(got_table).items())] == [
        (k, state_record(s)) for k, s in sorted(states_of(want_table).items())]  # list orders
    assert REPEATS["batched"] == REPEATS["one"] and any(REPEATS["one"])  # the redeliveries
    traders = {k for _, k, _ in items if k}
    assert writes <= min(len(items), (len(cuts) + 1) * len(traders))
