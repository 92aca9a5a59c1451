"""Ingest rate of the PostgreSQL sink: `brokerage sink postgres` over a prepared input log.

A realistic mix of requests and execution reports (bench_apply's generator, fixed seed) is
written to a fresh trader-inputs topic as the sequencer writes it (envelope headers), untimed.
Then the sink stores it from offset 0 into an empty database, in batches, until caught up:
inputs/s and rows/s count only the time spent in batches (consume, apply, write, commit).

    KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:9092 .venv/bin/python scripts/bench_sink.py \
        [--events 50000] [--traders 1000] [--batch 2000]

PostgreSQL: a throwaway local server in a temp dir (brokerage.localpg), or a new database on
the server of BROKERAGE_POSTGRES_DSN when set.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psycopg
from bench_apply import Generator  # scripts/ is on sys.path when run as a script

from brokerage import localpg
from brokerage.adapters.kafka import create_topics, producer
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, request_to_record
from brokerage.config import Settings
from brokerage.domain.events import EndOfDay, ExecutionReport
from brokerage.entrypoints.bootstrap import resolve
from brokerage.service.messages import envelope
from connectors.sink.runner import Sink


def write_log(bootstrap: str, s: Settings, events: int, traders: int, seed: int) -> int:
    prod = producer(bootstrap, **{"linger.ms": 20})
    n = 0
    for n, e in enumerate(Generator(traders, seed).run(events)):
        if isinstance(e, EndOfDay):
            continue
        if isinstance(e, ExecutionReport):
            src, value = s.topic_executions, avro.encode("execution_report",
                                                          execution_to_record(e))
        else:
            src, value = s.topic_requests, avro.encode("trade_request", request_to_record(e))
        ts = e.at_ms or 1_700_000_000_000 + n
        headers: list[tuple[str, str | bytes | None]] = list(envelope(src, 0, n, ts))
        prod.produce(s.topic_inputs, value, e.trader_id.encode(), headers=headers)
        if n % 10_000 == 0:
            prod.flush()
    prod.flush()
    return n + 1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=50_000)
    p.add_argument("--traders", type=int, default=1_000)
    p.add_argument("--batch", type=int, default=2_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    tag = uuid.uuid4().hex[:8]
    s = Settings(topic_inputs=f"bench-inputs-{tag}", app_id=f"bench-sink-{tag}",
                 sink_batch_size=args.batch)
    bootstrap = resolve(s)
    create_topics(bootstrap, [s.topic_inputs], s.partitions)
    t0 = time.perf_counter()
    written = write_log(bootstrap, s, args.events, args.traders, args.seed)
    print(f"wrote {written} inputs to {s.topic_inputs} in {time.perf_counter() - t0:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "pg"
        if os.environ.get("BROKERAGE_POSTGRES_DSN"):
            base = os.environ["BROKERAGE_POSTGRES_DSN"]
            name = f"bench_{tag}"
            localpg.create_database(base, name)
            dsn = psycopg.conninfo.make_conninfo(base, dbname=name)
        else:
            dsn = localpg.start(data_dir, localpg.free_port())
        try:
            t0 = time.perf_counter()
            stats = Sink(s, bootstrap, dsn).run(threading.Event(), until_caught_up=True)
            wall = time.perf_counter() - t0
            print(f"sink: {stats.line()}; wall clock {wall:.1f} s, batch size {args.batch}")
        finally:
            localpg.stop(data_dir)


if __name__ == "__main__":
    main()
