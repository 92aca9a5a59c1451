"""The raw ceiling: a confluent-kafka consume -> produce pass-through with no logic, keeping
each message's partition, committing its offsets as it goes. Run as its own process:

    python -m brokerage.bench.passthrough BOOTSTRAP SOURCE_TOPIC DEST_TOPIC GROUP

`relay` is its loop with what it does per batch left open (the topology floor's stand-ins,
floor.py, run the same loop).
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from brokerage.adapters.kafka import consumer, producer

# Errors no retry cures: stop (the bench sees the exit) instead of polling forever.
_REFUSED = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
            KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}
Handle = Callable[[list[Message], Producer], None]  # one fetched batch, its messages sent


def run(bootstrap: str, src: str, dst: str, group: str, stop: threading.Event) -> None:
    def copy(batch: list[Message], prod: Producer) -> None:
        for m in batch:
            send(prod, dst, m.key(), m.value(), m.partition() or 0)
    relay(bootstrap, group, [src], copy, stop)


def relay(bootstrap: str, group: str, topics: list[str], handle: Handle,
          stop: threading.Event) -> None:
    # The same client settings as our processes (idempotent producer, manual commits).
    prod, cons = producer(bootstrap), consumer(bootstrap, group)
    cons.subscribe(topics)
    committed, dirty = time.monotonic(), False
    try:
        while not stop.is_set():
            first = cons.poll(0.1)
            if first is None:
                if dirty:  # the last batch's offsets too: the bench waits for zero lag
                    cons.commit(asynchronous=True)
                    dirty = False
                continue
            batch = []
            for m in [first, *cons.consume(1000, 0)]:
                err = m.error()
                if err is None:
                    batch.append(m)
                elif err.fatal() or err.code() in _REFUSED:
                    raise KafkaException(err)
            handle(batch, prod)
            prod.poll(0)
            dirty = True
            if time.monotonic() - committed > 0.2:  # not per batch: tiny batches would flood
                cons.commit(asynchronous=True)
                committed, dirty = time.monotonic(), False
    finally:
        prod.flush(10)
        cons.close()


def send(prod: Producer, topic: str, key: bytes | None, value: bytes | None, partition: int,
         headers: list[tuple[str, str | bytes | None]] | None = None) -> None:
    while True:
        try:
            prod.produce(topic, value, key, partition=partition, headers=headers)
            return
        except BufferError:  # the local queue is full: let deliveries drain it
            prod.poll(0.01)


def main(argv: list[str]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    bootstrap, src, dst, group = argv[:4]
    run(bootstrap, src, dst, group, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
