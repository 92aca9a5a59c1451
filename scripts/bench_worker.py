"""The worker alone: how fast one `brokerage worker` drains a merged input log.

The bench's request mix (deposits, then mostly new limit orders, amends, cancels, duplicates,
rejects) is written straight to the input topic first; then one worker starts, and we time
from its first response to the last (every request is answered exactly once on the responses
topic). No exchange, sequencer or connector: this isolates the rules agent, the per-event
overhead we optimise. Prints events/s; compare runs made in the same minute.

    .venv/bin/python scripts/bench_worker.py [--requests 20000] [--traders 1000] [--unframed]
        [--keep]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer, create_topics, producer, topic_configs, topic_names
from brokerage.bench.mix import build
from brokerage.bench.stackrun import bench_settings
from brokerage.config import Settings
from brokerage.domain import refdata
from brokerage.entrypoints.processes import Processes
from brokerage.localkafka import free_port, start, stop
from brokerage.service import frames


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--traders", type=int, default=1_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--bootstrap", default="")
    ap.add_argument("--unframed", action="store_true", help="one message per input")
    ap.add_argument("--frame", type=int, default=200, help="inputs per frame at most")
    ap.add_argument("--keep", action="store_true", help="keep the broker's data and the logs")
    a = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-worker-"))
    base = Settings()
    info = None
    bootstrap = a.bootstrap
    if not bootstrap:
        info = start(free_port(), root / "kafka", version=base.kafka_version,
                     cache_dir=base.kafka_cache_dir, heap=base.kafka_heap)
        bootstrap = info.bootstrap
    try:
        s = bench_settings(base.model_copy(update={"kafka_bootstrap_servers": bootstrap}),
                           root, a.partitions, False)
        run(s, bootstrap, a.requests, a.traders, root, a.unframed, a.frame)
    finally:
        if info:
            stop(root / "kafka")
        if a.keep:
            print(f"kept {root}")
        else:  # else every run left its broker data and logs in /tmp
            shutil.rmtree(root, ignore_errors=True)


def run(s: Settings, bootstrap: str, requests: int, traders: int, root: Path,
        unframed: bool = False, frame: int = 200) -> None:
    create_topics(bootstrap, topic_names(s), s.partitions, configs=topic_configs(s))
    work = build(requests, traders, refdata.load(s.refdata_path))
    msgs = work.deposits + work.mix
    prod = producer(bootstrap, **{"linger.ms": 5, "message.max.bytes": 1_200_000})
    if unframed:  # one message per input, as before frames (the worker reads both)
        for m in msgs:
            prod.produce(s.topic_inputs, m.value, m.key)
            prod.poll(0)
    else:  # as the sequencer writes them: frames of up to `frame` inputs per partition
        by_partition: dict[int, list[dict[str, Any]]] = {}
        for n, m in enumerate(msgs):
            by_partition.setdefault(frames.partition_for(m.key, s.partitions), []).append(
                frames.framed(s.topic_requests, 0, n, 0, m.key, m.value, []))
        for p, items in by_partition.items():
            for i in range(0, len(items), frame):
                for value in frames.pack(items[i:i + frame]):
                    prod.produce(s.topic_inputs, value, partition=p)
                    prod.poll(0)
    prod.flush(60)
    print(f"{len(msgs)} inputs written; starting the worker", flush=True)
    (root / "logs").mkdir(exist_ok=True)
    procs = Processes(s, str(root / "logs"))
    cons = consumer(bootstrap, f"{s.app_id}-count", **{"isolation.level": "read_committed"})
    cons.assign([TopicPartition(s.topic_responses, p, 0) for p in range(s.partitions)])
    try:
        t_start = time.monotonic()
        worker = psutil.Process(procs.start("worker").pid)
        got, first, last, cpu_first = 0, 0.0, 0.0, 0.0
        deadline = time.monotonic() + 900
        while got < len(msgs) and time.monotonic() < deadline:
            for answer in cons.consume(10_000, 0.2):
                if answer.error():
                    continue
                got += 1
                last = time.monotonic()
                if not first:
                    first, cpu_first = last, _cpu(worker)
            procs.check()
        span, cpu = last - first, _cpu(worker) - cpu_first
        # CPU per input is steadier than events/s on a shared machine.
        print(f"responses {got}/{len(msgs)}; worker start->first {first - t_start:.1f} s; "
              f"first->last {span:.1f} s; {got / span if span else 0:,.0f} events/s; "
              f"worker CPU {cpu * 1e6 / max(got, 1):,.0f} µs per input")
    finally:
        cons.close()
        procs.stop_all()


def _cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return float(t.user + t.system)


if __name__ == "__main__":
    main()
