"""Scenario: ~20,000 seeded good, broken and absurd trade requests (the same generator the
broker fuzz test uses: garbage, truncated, wrong fingerprint, huge, absurd, bit-flipped,
random bodies, valid requests) go straight through `handle`, with a dict as the trader
table; then bit-flipped and mis-keyed execution reports do too. We expect `handle` never to
raise, and every request to end either as a dead letter carrying its original bytes (plus a
MALFORMED answer when its ids can be trusted) or as exactly one response with a state change
(or the replayed answer to a repeated request id); and no input ever to file one trader's
state under another trader's key."""

from __future__ import annotations

import os
import random

import pytest

from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, order_from_record
from brokerage.codec.state import state_from_bytes
from brokerage.domain import events as ev
from brokerage.domain import refdata
from brokerage.domain.types import ExecType
from brokerage.service.handler import Out, Result, Source, handle
from tests.fuzz_support import Cat, Msg, Outcome, category_counts, generate

RD = refdata.load()
SEED = 20_240_611
MESSAGES = int(os.environ.get("BROKERAGE_FUZZ_HANDLER_MESSAGES", "20000"))
TRADERS = 200  # small states: nothing fills here, so open trades pile up per trader
DLQ_HEADERS = {"dlq.error", "dlq.reason", "dlq.code", "dlq.topic", "dlq.partition", "dlq.offset",
               "dlq.timestamp_ms"}


def _problems(i: int, m: Msg, r: Result, seen: set[tuple[str, str]]) -> list[str]:
    """What is wrong with one request's result, if anything."""
    dead = [s for s in r.sends if s.to is Out.DEAD_LETTERS]
    answers = [avro.decode("trade_event", s.value) for s in r.sends if s.to is Out.RESPONSES]
    out: list[str] = []
    if len(dead) > 1 or len(answers) > 1:
        out.append(f"{len(dead)} dead letters and {len(answers)} responses")
    if any(a["kind"] != "RESPONSE" for a in answers):
        out.append("a request produced an UPDATE")
    if dead:
        dl, headers = dead[0], dict(dead[0].headers)
        if dl.value != m.raw or dl.key != (m.key or b""):
            out.append("the dead letter does not carry the original key and bytes")
        if set(headers) != DLQ_HEADERS or headers["dlq.offset"] != str(i).encode():
            out.append(f"dead-letter headers {sorted(headers)}")
        if r.state is not None or any(s.to is Out.ORDERS for s in r.sends):
            out.append("a dead letter also changed state or sent an order")
        if answers and (answers[0]["reason"] != "MALFORMED" or answers[0]["accepted"]):
            out.append(f"a dead letter answered {answers[0]['reason']}")
    elif not answers or r.sends[0].to is not Out.RESPONSES:
        out.append("a usable request got no response first")
    else:
        ids = (answers[0]["trader_id"], answers[0]["request_id"])
        if r.state is None and ids not in seen:
            out.append("a new request id changed no state")
        if any(s.to is Out.DEAD_LETTERS for s in r.sends[1:]):
            out.append("a usable request was also dead-lettered")
        seen.add(ids)
    got = Outcome(bool(dead), (answers[0]["trader_id"], answers[0]["request_id"])
                  if answers else None, bool(dead) and bool(answers))
    if got != m.expect:
        out.append(f"expected {m.expect}, got {got}")
    return out


def test_fuzzed_requests_never_raise_and_each_ends_as_a_response_or_a_dead_letter() -> None:
    msgs = generate(SEED, MESSAGES, TRADERS)
    counts = category_counts(msgs)
    assert set(counts) == {str(c) for c in Cat}, counts
    table: dict[bytes, bytes] = {}  # what the agent's table does: get and put by message key
    seen: set[tuple[str, str]] = set()
    failures: list[str] = []
    for i, m in enumerate(msgs):
        src = Source("requests", i % 4, i, False)
        try:
            r = handle(src, m.key, m.value, table.get(m.key) if m.key else None, RD)
        except Exception as exc:  # noqa: BLE001 - the point: nothing may escape
            failures.append(f"#{i} {m.cat} ({m.note}): raised {exc!r}")
            continue
        failures += [f"#{i} {m.cat} ({m.note}): {p}" for p in _problems(i, m, r, seen)]
        if r.state is not None and m.key:
            table[m.key] = r.state
    assert not failures, f"{len(failures)} of {len(msgs)} failed, e.g.:\n" + "\n".join(
        failures[:15])
    states = {k: state_from_bytes(v) for k, v in table.items()}
    assert all(s.trader_id.encode() == k for k, s in states.items())
    # The valid requests really did something: funded traders, booked trades.
    assert len(states) == TRADERS
    assert sum(len(s.trades) for s in states.values()) > MESSAGES // 20


def _flip(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(avro.HEADER if rng.random() < 0.9 else 0, len(b))
        b[pos] ^= 1 << rng.randrange(8)
    return bytes(b)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fuzzed_execution_reports_never_raise_or_cross_traders(seed: int) -> None:
    """Book trades, then feed the reports an exchange would send for them, bit-flipped,
    truncated, with another trader's key or none, next to intact ones."""
    rng = random.Random(seed)
    table: dict[bytes, bytes] = {}
    orders: list[ev.OrderCommand] = []
    for i, m in enumerate(generate(seed, 600, traders=10)):
        r = handle(Source("requests", 0, i, False), m.key, m.value,
                   table.get(m.key) if m.key else None, RD)
        if r.state is not None and m.key:
            table[m.key] = r.state
        orders += [order_from_record(avro.decode("order", s.value))
                   for s in r.sends if s.to is Out.ORDERS]
    assert orders
    traders = sorted(table)
    failures: list[str] = []
    for i in range(4000):
        o = rng.choice(orders)
        kind = rng.choice([ExecType.NEW, ExecType.TRADE, ExecType.CANCELED, ExecType.EXPIRED])
        qty = rng.randint(1, o.quantity) if kind is ExecType.TRADE else 0
        rep = ev.ExecutionReport(f"x{i}", o.trader_id, o.trade_id, kind, o.version, qty,
                                 (o.limit_price or 0) if qty else 0)
        value = avro.encode("execution_report", execution_to_record(rep, i))
        key: bytes | None = o.trader_id.encode()
        roll = rng.random()
        if roll < 0.4:
            value = _flip(rng, value)
        elif roll < 0.5:
            value = value[: rng.randrange(len(value))]
        elif roll < 0.6:
            key = rng.choice(traders)
        elif roll < 0.65:
            key = None
        try:
            r = handle(Source("executions", 0, i, True), key, value,
                       table.get(key) if key else None, RD)
        except Exception as exc:  # noqa: BLE001
            failures.append(f"#{i} raised {exc!r}")
            continue
        for s in r.sends:
            if s.to is Out.DEAD_LETTERS and s.value != value:
                failures.append(f"#{i}: the dead letter lost the original bytes")
            if s.to is Out.RESPONSES and avro.decode("trade_event", s.value)["kind"] != "UPDATE":
                failures.append(f"#{i}: an execution produced a RESPONSE")
        if r.state is not None:
            if key is None or state_from_bytes(r.state).trader_id != key.decode():
                failures.append(f"#{i}: state for key {key!r} belongs to another trader")
            else:
                table[key] = r.state
    assert not failures, f"{len(failures)} failed, e.g.:\n" + "\n".join(failures[:15])
