"""The worker's pure per-input path, no Kafka: `Batch.apply` on the bench's request mix and
each batch's `writes()` into a dict standing in for the table. Prints CPU µs per input
(process time: steadier than wall time on a shared machine); `--profile` prints cProfile's
top functions instead. The garbage collector is tuned as in the services
(BROKERAGE_GC_THRESHOLDS; `--default-gc` keeps CPython's): untuned, its full collections over
the table's objects added ~15-20 µs per input. Compare runs made in the same minute.

    .venv/bin/python scripts/bench_batch.py [--requests 40000] [--traders 1000] [--batch 400]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from brokerage.bench.mix import Request as Input
from brokerage.bench.mix import build
from brokerage.config import Settings
from brokerage.domain import refdata
from brokerage.observability import gcpause
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.messages import source_of


def run(inputs: list[Input], table: dict[bytes, bytes], cache: StoredCache, size: int,
        rd: refdata.RefData) -> None:
    for i in range(0, len(inputs), size):
        batch = Batch(rd, cache)
        for j, m in enumerate(inputs[i:i + size]):
            src = source_of([], "requests", 0, i + j, 1_700_000_000_000 + i + j, "executions")
            batch.apply(src, m.key, m.value, table.get)
        for records in batch.writes().values():
            for k, v in records:
                if v is None:
                    table.pop(k, None)
                else:
                    table[k] = v


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=40_000)
    ap.add_argument("--traders", type=int, default=1_000)
    ap.add_argument("--batch", type=int, default=400, help="inputs per batch")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--default-gc", action="store_true", help="CPython's GC thresholds")
    a = ap.parse_args()
    if not a.default_gc:  # as every service does at start, before its states are loaded
        gcpause.tune(Settings().gc_thresholds)
    rd = refdata.load()
    work = build(a.requests, a.traders, rd)
    inputs = work.deposits + work.mix
    table: dict[bytes, bytes] = {}
    cache = StoredCache()
    warm, rest = inputs[:len(inputs) // 3], inputs[len(inputs) // 3:]
    run(warm, table, cache, a.batch, rd)  # states grow: measure past the first third
    if a.profile:
        prof = cProfile.Profile()
        prof.runcall(run, rest, table, cache, a.batch, rd)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    t = time.process_time()
    run(rest, table, cache, a.batch, rd)
    print(f"{len(rest)} inputs after {len(warm)}: "
          f"{(time.process_time() - t) / len(rest) * 1e6:.1f} µs CPU per input")


if __name__ == "__main__":
    main()
