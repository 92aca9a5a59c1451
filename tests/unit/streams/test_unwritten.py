"""Write-behind on the worker: states the rules changed but the worker has not written yet
are what its reads show (a trader's view, the open trades the connector reconciles against,
the blocked-money gauges), and taking the batch writes exactly them and starts afresh. A
plain dict stands in for the table (it has the table's get, keys and items)."""

from __future__ import annotations

import asyncio
from typing import Any

from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, request_to_record
from brokerage.codec.state_log import load
from brokerage.domain import refdata
from brokerage.domain.events import Deposit, ExecutionReport, NewTrade, Request
from brokerage.domain.types import ExecType, OrderType, Side
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.handler import Source
from streams import metrics, observe
from streams.unwritten import Unwritten, state_in, states_in

RD = refdata.load()


def apply(u: Unwritten, table: dict[bytes, bytes], req: Request, n: int) -> None:
    value = avro.encode("trade_request", request_to_record(req))
    u.batch.apply(Source("requests", 0, n, False, 1_000 + n), req.trader_id.encode(), value,
                  table.get)


def write(u: Unwritten, table: dict[bytes, bytes]) -> int:
    batch, last = u.take()
    records = batch.writes()
    assert set(last) == set(records)  # each written trader's partition is known
    for rs in records.values():
        for k, v in rs:
            table.pop(k, None) if v is None else table.__setitem__(k, v)
    return len(records)


def test_reads_see_unwritten_states_and_a_take_writes_them() -> None:
    table: dict[bytes, bytes] = {}
    cache = StoredCache()
    u = Unwritten(lambda: Batch(RD, cache))
    apply(u, table, Deposit("d1", "A", 1_000_000), 0)
    u.last[b"A"] = 0
    assert write(u, table) == 1 and u.keys() == []

    apply(u, table, NewTrade("n1", "A", Side.BUY, "AAPL", 10, OrderType.LIMIT, 19_000), 1)
    apply(u, table, Deposit("d2", "B", 500), 2)  # a trader the table has never seen
    u.last.update({b"A": 0, b"B": 1})
    stored = load(b"A", table.get)
    assert stored is not None and stored.state.cash_blocked == 0  # the table lags
    a = state_in(b"A", table, u)  # a dict stands in for the table
    assert a is not None and len(a.trades) == 1
    blocked = a.cash_blocked  # the notional and its fee
    assert blocked >= 190_000 and a.cash_available == 1_000_000 - blocked
    states = {s.trader_id: s for s in states_in(table, u)}
    assert set(states) == {"A", "B"} and states["B"].cash_available == 500
    asyncio.run(observe._sum_blocked(table, cache, u))  # type: ignore[arg-type]
    assert metrics.BLOCKED_CASH._value.get() == blocked

    assert write(u, table) == 2
    after: dict[str, Any] = {s.trader_id: s for s in states_in(table, None)}
    assert after["A"].cash_blocked == blocked and after["B"].cash_available == 500
    assert state_in(b"A", table, u) == after["A"]


def test_some_traders_are_written_and_forgotten_while_the_others_stay_unwritten() -> None:
    table: dict[bytes, bytes] = {}
    u = Unwritten(lambda: Batch(RD, StoredCache()))
    for n, trader in enumerate(("A", "B", "C")):
        apply(u, table, Deposit(f"d{n}", trader, 1_000 + n), n)
        u.last[trader.encode()] = n
    assert sorted(u.dirty()) == [b"A", b"B", b"C"]
    records = u.take_some([b"B", b"A"])
    assert {(p, k) for p, k, _ in records} == {(1, b"B"), (0, b"A")}
    for _, k, v in records:
        table.pop(k, None) if v is None else table.__setitem__(k, v)
    assert u.dirty() == [b"C"] and u.keys() == [b"C"]  # the batch forgot A and B
    # A's next input starts from what the table now holds, and makes it dirty again.
    apply(u, table, Deposit("d9", "A", 5), 9)
    u.last[b"A"] = 0
    a = state_in(b"A", table, u)
    assert a is not None and a.cash_available == 1_005
    assert sorted(u.dirty()) == [b"A", b"C"]
    stored = load(b"B", table.get)
    assert stored is not None and stored.state.cash_available == 1_001


def test_a_trader_taken_clean_leaves_no_partition_behind() -> None:
    table: dict[bytes, bytes] = {}
    u = Unwritten(lambda: Batch(RD, StoredCache()))
    apply(u, table, Deposit("d1", "A", 1_000), 0)
    u.last[b"A"] = 3
    for _, k, v in u.take_some([b"A"]):
        table.pop(k, None) if v is None else table.__setitem__(k, v)
    # A report on a trade A never had: an anomaly, nothing to write.
    rep = ExecutionReport("x1", "A", "A.0000", ExecType.TRADE, 0, 1, 100)
    u.batch.apply(Source("executions", 0, 1, True, 1_001), b"A",
                  avro.encode("execution_report", execution_to_record(rep)), table.get)
    u.last[b"A"] = 3
    assert u.dirty() == [] and u.keys() == [b"A"]
    assert u.take_some([b"A"]) == []
    assert u.last == {} and u.keys() == []  # forgotten by the batch and here alike
