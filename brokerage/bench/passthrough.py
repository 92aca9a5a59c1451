"""The raw ceiling: a confluent-kafka consume -> produce pass-through with no logic, keeping
each message's partition, committing its offsets as it goes. Run as its own process:

    python -m brokerage.bench.passthrough BOOTSTRAP SOURCE_TOPIC DEST_TOPIC GROUP
"""

from __future__ import annotations

import signal
import sys
import threading
import time

from confluent_kafka import KafkaError, KafkaException

from brokerage.adapters.kafka import consumer, producer

# Errors no retry cures: stop (the bench sees the exit) instead of polling forever.
_REFUSED = {KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED,
            KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED}


def run(bootstrap: str, src: str, dst: str, group: str, stop: threading.Event) -> None:
    # The same client settings as our processes (idempotent producer, manual commits).
    prod = producer(bootstrap)
    cons = consumer(bootstrap, group)
    cons.subscribe([src])
    committed = time.monotonic()
    try:
        while not stop.is_set():
            first = cons.poll(0.1)
            if first is None:
                continue
            for m in [first, *cons.consume(1000, 0)]:
                err = m.error()
                if err:
                    if refused_error(err):
                        raise KafkaException(err)
                    continue
                while True:
                    try:
                        prod.produce(dst, m.value(), m.key(), partition=m.partition() or 0)
                        break
                    except BufferError:
                        prod.poll(0.01)
            prod.poll(0)
            if time.monotonic() - committed > 0.2:  # not per batch: tiny batches would flood
                cons.commit(asynchronous=True)
                committed = time.monotonic()
    finally:
        prod.flush(10)
        cons.close()


def refused_error(err: KafkaError) -> bool:
    return bool(err.fatal()) or err.code() in _REFUSED


def main(argv: list[str]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    bootstrap, src, dst, group = argv[:4]
    run(bootstrap, src, dst, group, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
