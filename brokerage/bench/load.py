"""The load generator: a child process with its own confluent-kafka producer (keyed by trader,
with the workers' murmur2 partitioner), sending ranges of the pre-encoded mix on command."""

from __future__ import annotations

import time
from multiprocessing.connection import Connection
from typing import Protocol

from confluent_kafka import Producer

from brokerage.adapters.kafka import producer


class Counter(Protocol):
    value: int


def serve(conn: Connection, bootstrap: str, topic: str, msgs: list[tuple[bytes, bytes]],
          answered: Counter, sent: Counter, linger_ms: int, conf: dict[str, str]) -> None:
    """Until told None: take (start, end, rate, window), send that range, answer with the
    send times and the time the last one was handed to the producer. `conf`: security."""
    prod = producer(bootstrap, **conf, **{"linger.ms": linger_ms})
    try:
        while (cmd := conn.recv()) is not None:
            start, end, rate, window = cmd
            conn.send(send_range(prod, topic, msgs[start:end], rate, window, answered, sent))
    finally:
        prod.flush(30)


def send_range(prod: Producer, topic: str, msgs: list[tuple[bytes, bytes]], rate: float | None,
               window: int, answered: Counter, sent: Counter) -> tuple[list[float], float]:
    """Open loop (`rate`): request i is due at t0 + i/rate, and that slot is its send time, so
    a generator that falls behind shows as latency rather than hiding it (no coordinated
    omission). Closed loop: at most `window` requests unanswered at any time."""
    times = [0.0] * len(msgs)
    base, t0 = answered.value, time.monotonic()
    for i, (key, value) in enumerate(msgs):
        if rate:
            slot = t0 + i / rate
            ahead = slot - time.monotonic()
            if ahead > 0.0005:
                time.sleep(ahead)
            times[i] = slot
        else:
            while i - (answered.value - base) >= window:
                prod.poll(0)
                time.sleep(0.0005)
            times[i] = time.monotonic()
        _produce(prod, topic, key, value)
        if i % 64 == 0:
            sent.value = i
    last = time.monotonic()
    prod.flush(60)
    sent.value = len(msgs)
    return times, last


def _produce(prod: Producer, topic: str, key: bytes, value: bytes) -> None:
    while True:
        try:
            prod.produce(topic, value, key)
            prod.poll(0)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            prod.poll(0.01)
