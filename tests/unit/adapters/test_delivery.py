"""A delivery librdkafka gives up on is reported, and the producer replaced: the sequencer and
the connector then read their inputs again instead of committing past a lost message."""

from __future__ import annotations

import threading

from confluent_kafka import Producer

from brokerage.adapters.delivery import Deliveries
from brokerage.adapters.kafka import producer

NOWHERE = "127.0.0.1:1"  # nothing listens: every delivery times out


def test_a_failed_delivery_is_reported_and_the_producer_replaced() -> None:
    made: list[Producer] = []

    def make(**conf: object) -> Producer:
        made.append(producer(NOWHERE, **conf))
        return made[-1]

    out = Deliveries(make, **{"message.timeout.ms": 300})
    stop = threading.Event()
    out.produce("t", b"v", b"k")
    assert out.settle(stop) is False
    assert len(made) == 2 and out.producer is made[1]  # a fresh one for the retry
    out.produce("t", b"v", b"k", partition=0)
    assert out.settle(stop) is False  # the fresh one reports its own failures too
    assert len(made) == 3


def test_nothing_produced_settles_at_once() -> None:
    out = Deliveries(lambda **conf: producer(NOWHERE, **conf))
    assert out.settle(threading.Event()) is True
