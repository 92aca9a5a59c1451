"""The bytes-in, bytes-out step the agent runs: valid events change state and emit outputs;
anything unusable goes to the dead-letter topic with its original bytes and a reason."""

from __future__ import annotations

import pytest

from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, request_to_record
from brokerage.codec.state import state_from_bytes
from brokerage.domain import events as ev
from brokerage.domain import refdata
from brokerage.domain.types import ExecType, OrderType, RejectReason, Side
from brokerage.service.handler import Out, Source, handle

RD = refdata.load()
REQ = Source("requests", 3, 17, False)
EXE = Source("executions", 3, 9, True)


def enc(req: ev.Request) -> bytes:
    return avro.encode("trade_request", request_to_record(req))


def headers(send: object) -> dict[str, bytes]:
    return dict(getattr(send, "headers"))  # noqa: B009


def test_valid_requests_store_state_and_emit_response_and_order() -> None:
    r = handle(REQ, b"alice", enc(ev.Deposit("d", "alice", 1_000_000)), None, RD)
    assert r.state is not None and [s.to for s in r.sends] == [Out.RESPONSES]
    buy = ev.NewTrade("b", "alice", Side.BUY, "AAPL", 10, OrderType.LIMIT, 19_000)
    r2 = handle(REQ, b"alice", enc(buy), r.state, RD)
    assert [s.to for s in r2.sends] == [Out.RESPONSES, Out.ORDERS]
    assert r2.state is not None
    assert state_from_bytes(r2.state).cash_blocked == 190_000 + 100


def test_garbage_goes_to_the_dead_letter_topic_intact() -> None:
    r = handle(REQ, b"alice", b"\x00garbage, not avro", None, RD)
    assert r.state is None and len(r.sends) == 1
    dl = r.sends[0]
    assert dl.to is Out.DEAD_LETTERS and dl.value == b"\x00garbage, not avro"
    h = headers(dl)
    assert h["dlq.error"] == b"DecodeError" and h["dlq.offset"] == b"17"
    assert h["dlq.topic"] == b"requests" and h["dlq.partition"] == b"3"
    assert b"BAD_MAGIC" in h["dlq.reason"] and int(h["dlq.timestamp_ms"]) > 0


def test_absurd_request_is_dead_lettered_and_answered_malformed() -> None:
    bad = enc(ev.NewTrade("r9", "alice", Side.BUY, "AAPL", -1, OrderType.LIMIT, 100))
    r = handle(REQ, b"alice", bad, None, RD)
    assert r.state is None
    assert [s.to for s in r.sends] == [Out.DEAD_LETTERS, Out.RESPONSES]
    resp = avro.decode("trade_event", r.sends[1].value)
    assert resp["reason"] == "MALFORMED" and resp["request_id"] == "r9"


def test_key_must_match_the_trader() -> None:
    r = handle(REQ, b"mallory", enc(ev.Deposit("d", "alice", 5)), None, RD)
    assert r.state is None and r.sends[0].to is Out.DEAD_LETTERS


def test_illegal_execution_is_an_anomaly_and_changes_nothing() -> None:
    rep = ev.ExecutionReport("x1", "alice", "alice.0000", ExecType.TRADE, 0, 1, 100)
    r = handle(EXE, b"alice", avro.encode("execution_report", execution_to_record(rep)), None, RD)
    assert r.state is None and [s.to for s in r.sends] == [Out.DEAD_LETTERS]
    assert headers(r.sends[0])["dlq.error"] == b"Anomaly"


def test_redelivered_request_changes_nothing_and_repeats_the_response() -> None:
    dep = enc(ev.Deposit("d", "alice", 1_000))
    first = handle(REQ, b"alice", dep, None, RD)
    again = handle(REQ, b"alice", dep, first.state, RD)
    assert again.state == first.state  # the same value, written again to reach the changelog
    assert [s.value for s in again.sends] == [s.value for s in first.sends]
    assert not first.repeat and again.repeat  # metrics count the request once


def test_a_reused_request_id_with_another_body_is_refused_and_marked_a_repeat() -> None:
    first = handle(REQ, b"alice", enc(ev.Deposit("d", "alice", 1_000)), None, RD)
    other = handle(REQ, b"alice", enc(ev.Deposit("d", "alice", 2_000)), first.state, RD)
    [resp] = other.outputs
    assert isinstance(resp, ev.Response) and resp.reason is RejectReason.DUPLICATE_REQUEST
    assert other.repeat  # the state is unchanged; observe still counts this refusal


def test_a_decoder_bug_parks_the_input_instead_of_crashing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected error while decoding (a bug, not bad bytes) must not crash-loop the
    worker: the input goes to the dead letters intact, to be replayed once fixed."""
    from brokerage.service import handler as h

    def broken(*_a: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(h, "decode_event", broken)
    value = enc(ev.Deposit("d", "alice", 5))
    r = h.handle(REQ, b"alice", value, None, RD)
    assert r.state is None and r.kind == "DECODER_ERROR"
    [dl] = r.sends
    assert dl.to is Out.DEAD_LETTERS and dl.value == value
    assert dict(dl.headers)["dlq.code"] == b"DECODER_ERROR"
