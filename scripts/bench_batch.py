"""The worker's pure per-input path, no Kafka: `Batch.apply` on the bench's request mix and
each batch's `writes()` into a dict standing in for the table. Prints CPU µs per input
(process time: steadier than wall time on a shared machine); `--profile` prints cProfile's
top functions instead. The garbage collector is tuned as in the services
(BROKERAGE_GC_THRESHOLDS; `--default-gc` keeps CPython's): untuned, its full collections over
the table's objects added ~15-20 µs per input. Compare runs made in the same minute.

    .venv/bin/python scripts/bench_batch.py [--requests 40000] [--traders 1000] [--batch 400]
        [--fills]   # and the exchange's reports: an ack and a fill per new order
        [--glue]    # as the worker takes them: in frames, with trace, metrics, event lines
                    # (to stderr: redirect it, 2>/dev/null)
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections.abc import Callable
from typing import Any, cast

from brokerage.bench.mix import Request as Input
from brokerage.bench.mix import build
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record
from brokerage.config import Settings
from brokerage.domain import refdata
from brokerage.domain.events import ExecutionReport, OrderCommand
from brokerage.domain.types import ExecType, OrderAction
from brokerage.observability import gcpause, logs, trace
from brokerage.observability.metrics import Tally
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.frames import Input as FrameInput
from brokerage.service.frames import framed, pack, unpack
from brokerage.service.messages import Result, source_of
from streams.inputs import apply as worker_apply


def reports(outputs: list[Any], n: int) -> list[tuple[bytes, bytes]]:
    """The exchange's answers to a batch's orders, as the connector would write them: a new
    order acknowledged and filled whole at its limit, a cancel or replace confirmed."""
    out: list[tuple[bytes, bytes]] = []
    for o in outputs:
        if not isinstance(o, OrderCommand):
            continue
        kinds = {OrderAction.NEW: [ExecType.NEW, ExecType.TRADE],
                 OrderAction.CANCEL: [ExecType.CANCELED],
                 OrderAction.REPLACE: [ExecType.REPLACED]}[o.action]
        for k in kinds:
            fill = k is ExecType.TRADE and o.limit_price is not None
            rep = ExecutionReport(f"x{n}-{len(out)}", o.trader_id, o.trade_id, k, o.version,
                                  o.quantity if fill else 0, (o.limit_price or 0) if fill else 0)
            out.append((o.trader_id.encode(), avro.encode(
                "execution_report", execution_to_record(rep))))
    return out


PACKING = [0.0]  # CPU seconds `glued` spent packing frames


class Recording(Batch):
    """A batch that keeps the rules' results (a subclass: an instance attribute wrapping its
    own bound method would be a reference cycle, and the collector's work not the worker's)."""

    def __init__(self, rd: refdata.RefData, cache: StoredCache) -> None:
        super().__init__(rd, cache)
        self.results: list[Result] = []

    def apply(self, *args: Any) -> Result:
        result = super().apply(*args)
        self.results.append(result)
        return result


def glued(batch: Recording, todo: list[tuple[bytes, bytes, bool]], offset: int,
          read: Callable[[bytes], bytes | None]) -> list[Result]:
    """The batch's inputs as the worker takes them: one frame (with each input's trace),
    unpacked, each through `streams.inputs.apply`. The rules' results, in order."""
    started = time.process_time()  # the sequencer's work, not the worker's: not counted
    items = [framed("executions" if rep else "requests", 0, offset + j,
                    1_700_000_000_000 + offset + j, key, value,
                    [trace.header(trace.new())]) for j, (key, value, rep) in enumerate(todo)]
    packed = list(pack(items))
    PACKING[0] += time.process_time() - started
    tally = Tally()
    for value in packed:
        for inp in unpack(FrameInput("inputs", 0, offset, None, value, [], 0)):
            worker_apply(batch, inp, read, "executions", tally)
    tally.flush()
    return batch.results


def run(inputs: list[Input], table: dict[bytes, bytes], cache: StoredCache, size: int,
        rd: refdata.RefData, fills: bool = False, glue: bool = False) -> int:
    """Applies every input (and, with `fills`, the exchange's reports, one batch later);
    returns how many inputs that was."""
    answers: list[tuple[bytes, bytes]] = []
    done = 0
    for i in range(0, len(inputs), size):
        batch = Recording(rd, cache) if glue else Batch(rd, cache)
        todo = [(m.key, m.value, False) for m in inputs[i:i + size]]
        todo += [(k, v, True) for k, v in answers]
        answers = []
        if glue:
            results = glued(cast(Recording, batch), todo, i, table.get)
        else:
            results = [batch.apply(source_of([], "executions" if rep else "requests", 0, i + j,
                                             1_700_000_000_000 + i + j, "executions"),
                                   key, value, table.get)
                       for j, (key, value, rep) in enumerate(todo)]
        if fills:
            for j, ((_, _, rep), result) in enumerate(zip(todo, results, strict=True)):
                if not rep:
                    answers += reports(result.outputs, i + j)
        done += len(todo)
        for records in batch.writes().values():
            for k, v in records:
                if v is None:
                    table.pop(k, None)
                else:
                    table[k] = v
    return done


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=40_000)
    ap.add_argument("--traders", type=int, default=1_000)
    ap.add_argument("--batch", type=int, default=400, help="inputs per batch")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--default-gc", action="store_true", help="CPython's GC thresholds")
    ap.add_argument("--fills", action="store_true",
                    help="also the exchange's reports (ack and fill per order), as in the stack")
    ap.add_argument("--glue", action="store_true",
                    help="in frames, with the worker's trace, metrics and event lines")
    a = ap.parse_args()
    if a.glue:  # as the worker logs (the lines go to stderr)
        s = Settings()
        logs.setup("worker", events=s.log_events, events_sample=s.log_events_sample,
                   buffered=True)
    if not a.default_gc:  # as every service does at start, before its states are loaded
        gcpause.tune(Settings().gc_thresholds)
    rd = refdata.load()
    work = build(a.requests, a.traders, rd)
    inputs = work.deposits + work.mix
    table: dict[bytes, bytes] = {}
    cache = StoredCache()
    warm, rest = inputs[:len(inputs) // 3], inputs[len(inputs) // 3:]
    # States grow: measure past the first third.
    run(warm, table, cache, a.batch, rd, a.fills, a.glue)
    if a.profile:
        prof = cProfile.Profile()
        prof.runcall(run, rest, table, cache, a.batch, rd, a.fills, a.glue)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    t = time.process_time()
    PACKING[0] = 0.0
    n = run(rest, table, cache, a.batch, rd, a.fills, a.glue)
    cpu = time.process_time() - t - PACKING[0]
    print(f"{n} inputs ({len(rest)} requests) after {len(warm)}: "
          f"{cpu / n * 1e6:.1f} µs CPU per input")


if __name__ == "__main__":
    main()
