"""The topology floor: our stack's Kafka traffic with none of its logic.

Three kinds of process stand in for ours and move the same messages, of about our sizes,
through the same topics and partitions, with the raw ceiling's client settings:
- `sequencer`: requests and execution reports -> one frame per partition per fetched batch;
- `worker`: per request a response (the request's bytes, so the bench's collector can time
  it) and, for the share that books a trade, an order; per report a trade update; per
  trader in a frame one state record of our head's size (a compacted changelog);
- `connector`: per order the measured share of execution reports, no exchange call.
No parsing beyond the frames, no rules, no state reads. Whatever rate this reaches is
what the design's messages allow on this machine before any code of ours runs:

    python -m brokerage.bench.floor ROLE BOOTSTRAP GROUP TOPIC... [SHAPE...]
"""

from __future__ import annotations

import signal
import sys
import threading

from confluent_kafka import Message, Producer

from .floor_parts import REPORT, REQUEST, TRACE, Shape, Share, pack, unpack
from .passthrough import Handle, relay, send


def sequencer(requests: str, reports: str, inputs: str) -> tuple[list[str], Handle]:
    def handle(batch: list[Message], prod: Producer) -> None:
        frames: dict[int, list[tuple[int, bytes, bytes]]] = {}
        for m in batch:
            tag = REQUEST if m.topic() == requests else REPORT
            frames.setdefault(m.partition() or 0, []).append((tag, m.key() or b"", m.value()
                                                                or b""))
        for p, items in frames.items():
            send(prod, inputs, items[0][1], pack(items), p)
    return [requests, reports], handle


def worker(inputs: str, responses: str, orders: str, updates: str, changelog: str,
           shape: Shape) -> tuple[list[str], Handle]:
    booked = Share(shape.orders_per_request)
    order, update, state = (bytes(shape.order_bytes), bytes(shape.update_bytes),
                            bytes(shape.state_bytes))

    def handle(batch: list[Message], prod: Producer) -> None:
        for m in batch:
            p, touched = m.partition() or 0, set()
            for tag, key, value in unpack(m.value() or b""):
                touched.add(key)
                if tag == REQUEST:
                    send(prod, responses, key, value, p, TRACE)
                    if booked.take():
                        send(prod, orders, key, order, p, TRACE)
                else:
                    send(prod, updates, key, update, p, TRACE)
            for key in touched:
                send(prod, changelog, key, state, p)
    return [inputs], handle


def connector(orders: str, reports: str, shape: Shape) -> tuple[list[str], Handle]:
    fills, report = Share(shape.reports_per_order), bytes(shape.report_bytes)

    def handle(batch: list[Message], prod: Producer) -> None:
        for m in batch:
            for _ in range(fills.take()):
                send(prod, reports, m.key() or b"", report, m.partition() or 0, TRACE)
    return [orders], handle


def main(argv: list[str]) -> int:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    role, bootstrap, group, *rest = argv
    if role == "sequencer":
        topics, handle = sequencer(rest[0], rest[1], rest[2])
    elif role == "worker":
        topics, handle = worker(rest[0], rest[1], rest[2], rest[3], rest[4],
                                Shape.parse(rest[5:]))
    elif role == "connector":
        topics, handle = connector(rest[0], rest[1], Shape.parse(rest[2:]))
    else:
        print(f"unknown role {role!r}", file=sys.stderr)
        return 2
    relay(bootstrap, group, topics, handle, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
