"""The codec: every schema round-trips, plain fastavro reads our framing, bad bytes fail clearly."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import fastavro
import pytest

import schemas
from brokerage.codec import avro, state_log
from brokerage.codec.models import (
    MalformedRecord,
    event_from_request_record,
    execution_from_record,
    execution_to_record,
    order_from_record,
    order_to_record,
    output_to_record,
    request_to_record,
)
from brokerage.codec.state import state_to_bytes
from brokerage.domain import events as ev
from brokerage.domain.state import TraderState
from brokerage.domain.types import ExecType, OrderAction, OrderType, Side, TimeInForce, TradeStatus
from brokerage.service import frames

REQUESTS: list[ev.Request] = [
    ev.NewTrade("r1", "alice", Side.BUY, "AAPL", 10, OrderType.LIMIT, 19_000, TimeInForce.GTC),
    ev.NewTrade("r2", "alice", Side.SELL, "MSFT", 5, OrderType.MARKET, None, TimeInForce.IOC),
    ev.AmendTrade("r3", "alice", "alice.00ff", 20, None),
    ev.AmendTrade("r4", "alice", "alice.00ff", None, 18_900),
    ev.AmendTrade("r4t", "alice", "alice.00ff", None, None, time_in_force=TimeInForce.GTC),
    ev.CancelTrade("r5", "alice", "alice.00ff"),
    ev.Deposit("r6", "alice", 100_000),
    ev.Withdraw("r7", "alice", 3, "AAPL"),
]


@pytest.mark.parametrize("req", REQUESTS, ids=lambda r: type(r).__name__ + r.request_id)
def test_request_round_trip(req: ev.Request) -> None:
    data = avro.encode("trade_request", request_to_record(req))
    assert event_from_request_record(avro.decode("trade_request", data), b"alice") == req


def test_order_execution_and_event_round_trip() -> None:
    order = ev.OrderCommand(OrderAction.REPLACE, "t.1:2", "t.1", "alice", 2, "AAPL", Side.BUY,
                            30, OrderType.LIMIT, TimeInForce.DAY, 19_050)
    assert order_from_record(avro.decode("order", avro.encode("order", order_to_record(order)))) \
        == order
    gtc = replace(order, time_in_force=TimeInForce.GTC, new_time_in_force=TimeInForce.GTC)
    assert order_from_record(avro.decode("order", avro.encode("order", order_to_record(gtc)))) \
        == gtc
    rep = ev.ExecutionReport("x1", "alice", "t.1", ExecType.TRADE, 2, 7, 19_000, "fill")
    rec = avro.decode("execution_report", avro.encode("execution_report",
                                                      execution_to_record(rep, 42)))
    assert execution_from_record(rec) == rep and rec["seq"] == 42
    for out in (ev.Response("r1", "alice", False, None, None, None, "no"),
                ev.TradeUpdate("alice", "t.1", TradeStatus.FILLED, "x1", 10, 10, 19_000, 100,
                               "t.1:r2")):
        record = output_to_record(out)
        assert avro.decode("trade_event", avro.encode("trade_event", record)) | record == \
            avro.decode("trade_event", avro.encode("trade_event", record))


@pytest.mark.parametrize("name", schemas.NAMES)
def test_plain_fastavro_reads_single_object_encoding(name: str) -> None:
    """Interoperability: a reader that knows only the spec and the .avsc file, not our code."""
    samples = {
        "trade_request": request_to_record(REQUESTS[0]),
        "order": {"action": "NEW", "order_id": "o", "trade_id": "t", "trader_id": "a",
                  "version": 0, "symbol": "AAPL", "side": "BUY", "quantity": 1,
                  "order_type": "LIMIT", "time_in_force": "DAY", "limit_price": 1},
        "execution_report": execution_to_record(
            ev.ExecutionReport("x", "a", "t", ExecType.NEW)),
        "trade_event": output_to_record(ev.Response("r", "a", True, "t", TradeStatus.NEW)),
        "input_frame": {"inputs": [frames.framed("reqs", 0, 1, 2, b"a", b"v",
                                                 [("traceparent", b"00-...")])]},
        "dead_letter": {"error": "DecodeError", "reason": "r", "topic": "reqs", "partition": 0,
                        "offset": 1, "code": "BAD_MAGIC", "timestamp_ms": 2,
                        "traceparent": None},
        "api_key": {"trader_id": "a", "scopes": ["trade"], "secret_sha256": "00",
                    "created_ms": 3},
    }
    stored = {"trader_state": lambda: state_to_bytes(TraderState("a")),
              "trader_head": lambda: state_log.writes(b"a", None, TraderState("a"))[0][0][1]}
    data = stored[name]() if name in stored else avro.encode(name, samples[name])
    schema = fastavro.parse_schema(json.loads((schemas.DIR / f"{name}.avsc").read_text()))
    assert data[:2] == b"\xc3\x01"
    expected = fastavro.schema.fingerprint(
        fastavro.schema.to_parsing_canonical_form(schema), "CRC-64-AVRO")
    assert data[2:10].hex() == expected
    rec = fastavro.schemaless_reader(io.BytesIO(data[10:]), schema, None)
    if name in ("input_frame", "dead_letter", "api_key"):
        assert rec == samples[name]
    else:
        assert rec["trader_id"] == ("a" if name in stored else samples[name]["trader_id"])


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "TRUNCATED"),
    (b"\xc3\x01\x00", "TRUNCATED"),
    (b"{\"json\": true, \"no\": 1}", "BAD_MAGIC"),
    (b"\xc3\x01" + b"\x00" * 8 + b"abc", "UNKNOWN_FINGERPRINT"),
])
def test_bad_bytes_give_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(avro.DecodeError) as err:
        avro.decode("trade_request", data)
    assert err.value.reason == reason


def test_truncated_body_and_trailing_bytes() -> None:
    good = avro.encode("trade_request", request_to_record(REQUESTS[0]))
    with pytest.raises(avro.DecodeError) as err:
        avro.decode("trade_request", good[:-3])
    assert err.value.reason == "BAD_BODY"
    with pytest.raises(avro.DecodeError) as err:
        avro.decode("trade_request", good + b"\x00")
    assert err.value.reason == "TRAILING_BYTES"


@pytest.mark.parametrize(("req", "key"), [
    (ev.NewTrade("r1", "alice", Side.BUY, "AAPL", -5, OrderType.LIMIT, 100), b"alice"),
    (ev.NewTrade("r1", "alice", Side.BUY, "AAPL", 1, OrderType.LIMIT, 10**16), b"alice"),
    (ev.NewTrade("r1", "alice", Side.BUY, "x" * 1_000_000, 1, OrderType.LIMIT, 1), b"alice"),
    (ev.NewTrade("r1", "a" * 65, Side.BUY, "AAPL", 1, OrderType.LIMIT, 1), b"a" * 65),
    (ev.Deposit("r1", "alice", 100), b"bob"),
    (ev.Deposit("r1", "alice", 100), None),
])
def test_absurd_or_mis_keyed_requests_are_malformed(req: ev.Request, key: bytes | None) -> None:
    rec = avro.decode("trade_request", avro.encode("trade_request", request_to_record(req)))
    with pytest.raises(MalformedRecord):
        event_from_request_record(rec, key)
