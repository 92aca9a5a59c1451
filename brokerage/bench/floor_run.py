"""The topology floor as a bench reference (floor.py): its topics and processes, our run's
message counts that shape it, and its closed loop beside ours and the raw ceiling."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from brokerage.adapters.kafka import create_topics
from brokerage.config import Settings
from brokerage.domain.refdata import RefData
from brokerage.entrypoints.processes import terminate
from brokerage.service.batch import Batch, StoredCache
from brokerage.service.messages import Out, source_of

from . import analyse
from .config import BenchConfig
from .floor_parts import Shape
from .mix import Workload, repeated
from .pipeline import Pipeline, Progress
from .samplers import Sampler
from .stackrun import TAGS, check_children, wait_for_group
from .watermarks import last_written

KINDS = ("requests", "inputs", "responses", "orders", "executions", "updates", "changelog")


def shape_of(work: Workload, rd: RefData, counts: dict[str, int] | None, n: int = 4_000
             ) -> Shape:
    """Our worker's outputs on the first `n` requests of the mix, after the deposits (sizes;
    orders per request); the ratios of our run's counts instead when it has them."""
    batch = Batch(rd, StoredCache(10_000))
    sizes: dict[Out, int] = {}
    tally: dict[Out, int] = {}
    empty: dict[bytes, bytes] = {}
    d = len(work.deposits)
    for i, m in enumerate(work.deposits + work.mix[:n]):
        sends = batch.apply(source_of([], "requests", 0, i, 0, "executions"), m.key, m.value,
                            empty.get).sends
        for send in sends if i >= d else ():
            sizes[send.to] = sizes.get(send.to, 0) + len(send.value)
            tally[send.to] = tally.get(send.to, 0) + 1
    states = [len(v) for recs in batch.writes().values() for _, v in recs if v]
    base, orders = Shape(), tally.get(Out.ORDERS, 0)
    per_request, per_order = orders / max(1, min(n, len(work.mix))), base.reports_per_order
    if counts and counts.get("requests") and counts.get("orders") and "executions" in counts:
        per_request = counts["orders"] / counts["requests"]
        per_order = counts["executions"] / counts["orders"]

    def mean(out: Out, default: int) -> int:
        return sizes[out] // tally[out] if tally.get(out) else default

    return Shape(orders_per_request=round(per_request, 3),
                 order_bytes=mean(Out.ORDERS, base.order_bytes),
                 update_bytes=mean(Out.RESPONSES, base.update_bytes),
                 state_bytes=sum(states) // len(states) if states else base.state_bytes,
                 reports_per_order=round(per_order, 3), report_bytes=base.report_bytes)


@contextmanager
def floor_stack(s: Settings, workers: int, shape: Shape, log_dir: Path, sampler: Sampler
                ) -> Iterator[dict[str, str]]:
    """Fresh topics and the stand-in processes (one sequencer and connector, `workers`
    workers); yields the topics by kind."""
    tag = f"bench-floor-{uuid.uuid4().hex[:6]}"
    TAGS.add(tag)
    t = {k: f"{tag}-{k}" for k in KINDS}
    create_topics(s.kafka_bootstrap_servers, list(t.values()), s.partitions,
                  configs={t["changelog"]: {"cleanup.policy": "compact"}})
    roles = [("sequencer", [t["requests"], t["executions"], t["inputs"]])]
    roles += [("worker", [t["inputs"], t["responses"], t["orders"], t["updates"],
                          t["changelog"], *shape.argv()])] * workers
    roles += [("connector", [t["orders"], t["executions"], *shape.argv()])]
    children: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for n, (role, args) in enumerate(roles):
            name = f"floor-{role}-{n}"
            with open(log_dir / f"{name}.log", "ab") as log:
                children.append((name, subprocess.Popen(
                    [sys.executable, "-m", "brokerage.bench.floor", role,
                     s.kafka_bootstrap_servers, f"{tag}-{role}", *args],
                    stdout=log, stderr=subprocess.STDOUT)))
            sampler.watch(name, children[-1][1].pid)
        sampler.watch_group("floor-sequencer", f"{tag}-sequencer",
                            [t["requests"], t["executions"]])
        sampler.watch_group("floor-worker", f"{tag}-worker", [t["inputs"]])
        sampler.watch_group("floor-connector", f"{tag}-connector", [t["orders"]])
        def alive() -> None:
            check_children(children, log_dir)
        for role, n in (("sequencer", 1), ("worker", workers), ("connector", 1)):
            wait_for_group(s, f"{tag}-{role}", n, alive)
        t["tag"] = tag
        yield t
    finally:
        for _, c in children:
            terminate(c)
        sampler.unwatch(*(n for n, _ in children), "floor-sequencer", "floor-worker",
                        "floor-connector")


def run_floor(s: Settings, cfg: BenchConfig, work: Workload, shape: Shape, root: Path,
              sampler: Sampler, progress: Progress, plan_range: tuple[int, int]
              ) -> dict[str, Any]:
    """The deposits, then the closed loop's range of the mix (repeated: `mix.repeated`),
    until every stand-in's lag is zero: `settled_per_s` is its orders over the time from its
    first send to the last trade update written (all their reports through)."""
    reqs, d, end = repeated(work, *plan_range, cfg.reference_requests)
    with floor_stack(s, cfg.workers, shape, root, sampler) as t, \
            Pipeline(s.kafka_bootstrap_servers, t["requests"], t["responses"],
                     f"{t['tag']}-bench", True, reqs, cfg.linger_ms) as pipe:
        for role, pid in pipe.pids().items():
            sampler.watch(role, pid)
        runs = [pipe.phase("floor warm-up", 0, d, None, cfg.window, progress,
                           cfg.drain_timeout)]
        _drained(sampler, cfg.drain_timeout)
        runs.append(pipe.phase("floor closed loop", d, end, None, cfg.window, progress,
                               cfg.drain_timeout))
        _drained(sampler, cfg.drain_timeout)
        seen = pipe.close()
        sampler.unwatch(*pipe.pids())
        drained = last_written(s.kafka_bootstrap_servers, t["updates"], s.partitions)
    t0 = runs[0].times[0] if runs[0].times else 0.0
    phases = analyse.phases(reqs, runs, seen, sampler.samples, t0)
    closed = phases[-1]
    closed["new_trades"] = int((end - d) * shape.orders_per_request)
    if drained and runs[-1].times:  # the last trade update written: every order settled
        closed["settled_per_s"] = closed["new_trades"] / max(1e-9, drained - runs[-1].times[0])
    return {"phases": phases, "shape": shape.__dict__, "t0": t0}


def _drained(sampler: Sampler, timeout: float) -> None:
    """Until two samples in a row saw every stand-in's lag at zero (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tail = sampler.samples[-2:]
        if len(tail) == 2 and all(_quiet(x.lag) for x in tail):
            return
        time.sleep(0.25)


def _quiet(lag: dict[str, int]) -> bool:
    floor = {k: v for k, v in lag.items() if k.startswith("floor-")}
    return len(floor) == 3 and not any(floor.values())
