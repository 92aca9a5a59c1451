"""The answer collector: a child process reading the output topic as it is committed and
stamping each message with its arrival time (monotonic, comparable across processes)."""

from __future__ import annotations

import time
from collections import Counter as Tally
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

from confluent_kafka import Message

from brokerage.adapters.kafka import consumer
from brokerage.codec import avro

from .load import Counter

Answers = list[tuple[float, str]]  # (arrival, request id) or (arrival, trade id) for fills


def serve(conn: Connection, bootstrap: str, topic: str, group: str, echo: bool,
          answered: Counter, filled: Counter, stop: Event, conf: dict[str, str]) -> None:
    """Read until `stop`, then send (answers, fills, outcomes) back. `echo`: the topic holds
    raw copies of the requests (the ceiling), else our responses and trade updates.
    `conf`: security settings."""
    cons = consumer(bootstrap, group, **conf)
    cons.subscribe([topic])
    answers: Answers = []
    fills: Answers = []
    outcomes: Tally[str] = Tally()
    try:
        while not stop.is_set():
            first = cons.poll(0.05)  # returns as soon as one arrives: precise arrival times
            if first is None:
                continue
            batch = [first, *cons.consume(1000, 0)]  # plus whatever is already fetched
            now = time.monotonic()
            for m in batch:
                if not m.error():
                    _take(m, now, echo, answers, fills, outcomes)
            answered.value, filled.value = len(answers), len(fills)
    finally:
        cons.close()
        conn.send((answers, fills, dict(outcomes)))


def _take(m: Message, now: float, echo: bool, answers: Answers, fills: Answers,
          outcomes: Tally[str]) -> None:
    value = m.value() or b""
    if echo:
        answers.append((now, avro.decode("trade_request", value)["request_id"]))
        return
    rec = avro.decode("trade_event", value)
    if rec["kind"] == "RESPONSE":
        answers.append((now, rec["request_id"]))
        outcomes["accepted" if rec["accepted"] else str(rec["reason"])] += 1
    elif rec["status"] == "FILLED":
        fills.append((now, rec["trade_id"]))
