"""Scenario: the bench's topology floor (its sequencer, two workers and connector stand-ins)
runs on fresh topics, and 400 requests of 40 traders are written to its requests topic. We
expect the traffic it claims to stand for: one response per request carrying the request's
own bytes, orders for the shape's share of them, the shape's reports per order fed back
through the frames as one trade update each, and at least one state record per trader, all
on the request's partition, the last update's write time readable on our clock."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer, producer
from brokerage.bench.floor_parts import Shape
from brokerage.bench.floor_run import floor_stack
from brokerage.bench.samplers import Sampler
from brokerage.bench.stackrun import wait_for_group
from brokerage.bench.watermarks import last_written
from brokerage.config import Settings

pytestmark = pytest.mark.integration
PARTS = 4


def counts(bootstrap: str, topics: dict[str, str]) -> dict[str, int]:
    c = consumer(bootstrap, "floor-test-counts")
    try:
        return {k: sum(c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
                       for p in range(PARTS)) for k, t in topics.items() if k != "tag"}
    finally:
        c.close()


def read_all(bootstrap: str, topic: str, n: int) -> list[tuple[int, bytes, bytes]]:
    c = consumer(bootstrap, f"floor-test-{topic}")
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTS)])
    out: list[tuple[int, bytes, bytes]] = []
    deadline = time.monotonic() + 30
    while len(out) < n and time.monotonic() < deadline:
        for m in c.consume(500, 1.0):
            if not m.error():
                out.append((m.partition() or 0, m.key() or b"", m.value() or b""))
    c.close()
    return out


def test_the_floor_moves_the_messages_of_its_shape(kafka_bootstrap: str, tmp_path: Path
                                                   ) -> None:
    s = Settings().model_copy(update={"kafka_bootstrap_servers": kafka_bootstrap,
                                      "partitions": PARTS})
    shape = Shape(orders_per_request=0.5, order_bytes=11, update_bytes=7, state_bytes=33,
                  reports_per_order=1.5, report_bytes=9)
    n, traders = 400, 40
    began = time.monotonic()
    with floor_stack(s, 2, shape, tmp_path, Sampler(kafka_bootstrap)) as t:
        p = producer(kafka_bootstrap)
        sent = {}
        for i in range(n):
            key, value = f"T{i % traders}".encode(), f"request-{i}".encode()
            p.produce(t["requests"], value, key)
            sent[value] = key
        assert p.flush(10) == 0
        deadline, got = time.monotonic() + 90, {}
        while time.monotonic() < deadline:
            got = counts(kafka_bootstrap, t)
            done = got["responses"] == n and got["updates"] == got["executions"] > 0
            if done and got["executions"] == int(got["orders"] * 1.5):
                break
            time.sleep(0.5)
    # Each worker keeps its own share of orders: at most one short per worker.
    assert n * 0.5 - 2 <= got["orders"] <= n * 0.5, got
    assert got["executions"] == int(got["orders"] * 1.5) and got["updates"] == got["executions"]
    assert got["changelog"] >= traders
    # The bench times the floor's settlement by the last update written.
    assert began < (last_written(kafka_bootstrap, t["updates"], PARTS) or 0) < time.monotonic()
    responses = read_all(kafka_bootstrap, t["responses"], n)
    assert sorted(v for _, _, v in responses) == sorted(sent)
    requests = {v: part for part, _, v in read_all(kafka_bootstrap, t["requests"], n)}
    assert all(requests[v] == part and sent[v] == k for part, k, v in responses)


def test_waiting_for_a_group_stops_once_a_member_process_is_gone(kafka_bootstrap: str) -> None:
    """Scenario: a reference's process exits before its group forms. We expect the wait to
    end with that process's error, not the timeout's."""
    s = Settings().model_copy(update={"kafka_bootstrap_servers": kafka_bootstrap})

    def gone() -> None:
        raise RuntimeError("floor-worker-1 exited with 2")

    # A timeout would say "did not reach": this message is the member's.
    with pytest.raises(RuntimeError, match="floor-worker-1 exited"):
        wait_for_group(s, f"never-{uuid.uuid4().hex[:6]}", 1, gone, timeout=30)
