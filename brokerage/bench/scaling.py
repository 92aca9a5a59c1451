"""How cost grows: the closed loop with 1 and 2 workers, with 8 and 32 partitions; and the
state each trader costs, on disk (the workers' RocksDB) and in RAM (worker RSS growth)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil

from brokerage.config import Settings
from brokerage.domain.refdata import RefData
from brokerage.entrypoints.processes import Processes

from .config import BenchConfig
from .mix import build
from .pipeline import Progress
from .runs import run_ours
from .samplers import Sampler

SHAPES = ((1, 8), (2, 8), (1, 32))  # (workers, partitions)


def run_scaling(base: Settings, cfg: BenchConfig, rd: RefData, root: Path, sampler: Sampler,
                progress: Progress, state_traders: list[int]) -> dict[str, Any]:
    """Each run on its own; one that fails is reported as such and the others still run."""
    throughput = []
    work = build(cfg.requests, cfg.traders, rd, cfg.seed)
    for workers, partitions in SHAPES:
        try:
            r = run_ours(base, cfg, work, root, sampler, progress, workers, partitions,
                         open_loop=False)
        except Exception as exc:  # reported in the result; the other runs go on
            throughput.append({"workers": workers, "partitions": partitions, "error": str(exc)})
            continue
        top = r["phases"][-1]
        cpu = sum(v["cpu_mean_pct"] for k, v in top["processes"].items()
                  if k.startswith("worker"))
        throughput.append({"workers": workers, "partitions": partitions,
                           "validated_per_s": top["validated_per_s"],
                           "settled_per_s": top["settled_per_s"],
                           "p99_ms": top["latency"]["p99_ms"], "worker_cpu_pct": cpu,
                           "restarts": r["restarts"]})
    state = []
    for n in state_traders:
        try:
            state.append(state_size(base, cfg, rd, root, sampler, progress, n))
        except Exception as exc:  # reported in the result; the other runs go on
            state.append({"traders": n, "error": str(exc)})
    return {"throughput": throughput, "state": state}


def state_size(base: Settings, cfg: BenchConfig, rd: RefData, root: Path, sampler: Sampler,
               progress: Progress, traders: int) -> dict[str, Any]:
    """`traders` traders, each funded (cash and shares) and sending about one more request,
    on one worker: growth of its RocksDB files (the write-ahead log included: not compacted)
    and of its RSS, per trader, once it all settled."""
    work = build(traders, traders, rd, cfg.seed)
    one = replace(cfg, rates=[], closed=True, requests=traders)
    r = run_ours(base, one, work, root, sampler, progress, 1, cfg.partitions,
                 open_loop=False, probe=_probe)
    before, after = r["probe"]["before"], r["probe"]["after"]
    return {"traders": traders, "requests": len(work.deposits) + len(work.mix),
            "rocksdb_bytes_before": before["disk"], "rocksdb_bytes_after": after["disk"],
            "rss_before": before["rss"], "rss_after": after["rss"],
            "disk_bytes_per_trader": (after["disk"] - before["disk"]) / traders,
            "rss_bytes_per_trader": (after["rss"] - before["rss"]) / traders}


def _probe(s: Settings, procs: Processes) -> dict[str, Any]:
    rss = psutil.Process(procs.procs["worker-0"].pid).memory_info().rss
    return {"rss": rss, "disk": du(Path(s.state_dir).resolve() / "workers" / "0")}


def du(path: Path) -> int:
    """Bytes of every file below `path`."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
