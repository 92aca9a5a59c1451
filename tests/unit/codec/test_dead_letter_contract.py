"""schemas/dead_letter.avsc is the contract of the headers every dead letter carries: the
headers the worker and the connector write are exactly its fields, with their types."""

from __future__ import annotations

import pytest

from brokerage.codec import avro, headers
from brokerage.codec.models import request_to_record
from brokerage.domain import events as ev
from brokerage.domain import refdata
from brokerage.domain.types import ExecType, OrderType, Side
from brokerage.observability import trace
from brokerage.service.handler import Out, Source, handle
from brokerage.service.messages import Send, dead_letter

RD = refdata.load()
REQ = Source("requests", 3, 17, False, 5)
EXE = Source("executions", 2, 2**40, True, 5)
ABSURD = ev.NewTrade("r9", "alice", Side.BUY, "AAPL", -1, OrderType.LIMIT, 100)
INPUTS = {  # each a way the worker's rules dead-letter an input
    "garbage": (REQ, b"alice", b"\x00garbage"),
    "truncated": (REQ, b"alice", b"\xc3\x01\x00"),
    "malformed": (REQ, b"alice", avro.encode("trade_request", request_to_record(ABSURD))),
    "anomaly": (EXE, b"alice", avro.encode("execution_report", {
        "exec_id": "x", "trader_id": "alice", "trade_id": "alice.0000000000000000",
        "exec_type": ExecType.TRADE.value, "last_qty": 1, "last_price": 100})),
}


def worker_headers(send: Send) -> list[tuple[str, bytes]]:
    """What streams/worker.py puts on the topic: the rules' headers plus the input's trace."""
    return [*send.headers, trace.header(trace.new())]


@pytest.mark.parametrize("case", INPUTS)
def test_the_worker_dead_letters_follow_the_schema(case: str) -> None:
    src, key, value = INPUTS[case]
    dead = [s for s in handle(src, key, value, None, RD).sends if s.to is Out.DEAD_LETTERS]
    assert len(dead) == 1
    written = worker_headers(dead[0])
    assert headers.problems("dead_letter", written) == []
    assert {h for h, _ in written} == set(headers.fields("dead_letter"))  # every field used


def test_without_a_trace_only_the_nullable_traceparent_is_left_out() -> None:
    """The connector's dead letters (connectors/link/orders.py) carry no traceparent."""
    dl = dead_letter(REQ, None, b"", "ExchangeRefused", "409: no")
    assert headers.problems("dead_letter", dict(dl.headers)) == []
    assert set(headers.fields("dead_letter")) - dict(dl.headers).keys() == {trace.HEADER}
    assert headers.fields("dead_letter")[trace.HEADER]["type"] == ["null", "string"]


def test_long_reasons_are_cut_on_a_character_boundary() -> None:
    dl = dead_letter(REQ, b"k", b"v", "DecodeError", "é" * 2000, "€" * 100)
    h = dict(dl.headers)
    assert headers.problems("dead_letter", h) == []
    assert h["dlq.reason"] == "é".encode() * 500 and h["dlq.code"] == "€".encode() * 21


@pytest.mark.parametrize(("bad", "problem"), [
    ({"dlq.offset": b"12x"}, "dlq.offset: '12x' is not a decimal long"),
    ({"dlq.partition": str(2**31).encode()}, "is not a decimal int"),
    ({"dlq.reason": b"\xff"}, "dlq.reason: not UTF-8"),
    ({"dlq.extra": b"1"}, "dlq.extra: not in dead_letter.avsc"),
    ({"dlq.topic": None}, "dlq.topic: missing"),
])
def test_the_check_finds_what_is_wrong(bad: dict[str, bytes | None], problem: str) -> None:
    h = {**dict(dead_letter(REQ, b"k", b"v", "DecodeError", "r").headers), **bad}
    found = headers.problems("dead_letter", {k: v for k, v in h.items() if v is not None})
    assert any(problem in p for p in found), found
