"""The two broker-side measurements: our stack through warm-up, open-loop phases and the
closed loop; and the raw pass-through ceiling over the same messages."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from brokerage.adapters.kafka import consumer
from brokerage.config import Settings
from brokerage.entrypoints.processes import Processes

from . import analyse, hops
from .config import BenchConfig
from .mix import Workload, repeated, slices
from .pipeline import Phase, Pipeline, Progress
from .profile import Profiler
from .samplers import Sampler
from .secure import bench_conf
from .stackrun import bench_settings, ceiling_topics, our_stack, passthroughs
from .watermarks import message_counts

Probe = Callable[[Settings, Processes], dict[str, Any]]


def plan(cfg: BenchConfig, n: int, open_loop: bool = True
         ) -> list[tuple[str, float | None, tuple[int, int]]]:
    """(name, rate or None for the closed loop, range of the mix) of each phase after the
    deposits: the unmeasured warm-up, the open-loop rates for `seconds` each, then the
    closed loop for `requests`."""
    warm = cfg.warmup_seconds > 0
    rates = ([cfg.warmup_rate] if warm else []) + (cfg.rates if open_loop else [])
    seconds = ([cfg.warmup_seconds] if warm else []) + [cfg.seconds] * (len(rates) - warm)
    sizes = [max(1, int(r * t)) for r, t in zip(rates, seconds, strict=True)]
    sizes += [cfg.requests] if cfg.closed else []
    names = (["warm-up (mix)"] if warm else []) + [f"open {r:,.0f}/s" for r in rates[warm:]]
    return [(name, rate, rng) for name, rate, rng in
            zip([*names, "closed loop"], [*rates, None], slices(n, sizes), strict=False)]


def run_ours(base: Settings, cfg: BenchConfig, work: Workload, root: Path, sampler: Sampler,
             progress: Progress, workers: int | None = None, partitions: int | None = None,
             open_loop: bool = True, probe: Probe | None = None,
             profiler: Profiler | None = None) -> dict[str, Any]:
    """Warm-up (the deposits), the open-loop rates, the closed loop, each from a quiet system,
    then settlement. `probe(settings, processes)` is read before the load and once all of it
    settled."""
    bootstrap = base.kafka_bootstrap_servers
    settings = bench_settings(base, root, partitions or cfg.partitions, cfg.exchange_fsync)
    reqs = work.deposits + work.mix
    with our_stack(settings, workers or cfg.workers, root, sampler) as (s, procs), \
            Pipeline(bootstrap, s.topic_requests, s.topic_responses, f"{s.app_id}-bench",
                     False, reqs, cfg.linger_ms, bench_conf(s)) as pipe:
        for role, pid in pipe.pids().items():
            sampler.watch(role, pid)
        before = probe(s, procs) if probe else {}
        tick = _supervised(procs, sampler, progress)
        d = len(work.deposits)
        runs = [pipe.phase("warm-up (deposits)", 0, d, None, cfg.window, tick,
                           cfg.drain_timeout)]
        for name, rate, (a, b) in plan(cfg, len(work.mix), open_loop):
            # Each phase starts from a quiet system: the fills a phase causes would otherwise
            # queue ahead of the next phase's requests in the same ordered input log.
            _settle(pipe, sampler, cfg.drain_timeout, tick)
            with (profiler.phase(name, {r: p.pid for r, p in procs.procs.items()})
                  if profiler else nullcontext()):
                runs.append(pipe.phase(name, d + a, d + b, rate, cfg.window, tick,
                                       cfg.drain_timeout))
        _settle(pipe, sampler, cfg.settle_timeout, tick)
        after = probe(s, procs) if probe else {}
        end = time.monotonic()
        seen = pipe.close()
        sampler.unwatch(*pipe.pids())
    stamps = _stamps(s)
    t0 = runs[0].times[0] if runs[0].times else 0.0
    return {"phases": analyse.phases(reqs, runs, seen, sampler.samples, t0, stamps),
            "outcomes": seen.outcomes, "messages": message_counts(s), "t0": t0,
            "series": analyse.sampled_series(sampler.between(t0, end), t0),
            "workers": workers or cfg.workers, "partitions": s.partitions,
            "probe": {"before": before, "after": after},
            "restarts": list(procs.restarts),
            **({"profiles": profiler.results} if profiler else {})}


def _stamps(s: Settings) -> hops.Stamps:
    cons = consumer(s.kafka_bootstrap_servers, f"{s.app_id}-bench-hops", **bench_conf(s))
    try:
        return hops.read(cons, s.topic_requests, s.topic_inputs, s.topic_responses)
    finally:
        cons.close()


def _supervised(procs: Processes, sampler: Sampler, progress: Progress) -> Progress:
    """Progress that also checks the children: a dead one fails the run, a worker asking to
    be restarted (exit 75) is started again and watched under its new pid."""
    def tick(name: str, done: int, total: int) -> None:
        seen = len(procs.restarts)
        procs.check()
        for role in procs.restarts[seen:]:
            sampler.watch(role, procs.procs[role].pid)
        progress(name, done, total)

    return tick


def _settle(pipe: Pipeline, sampler: Sampler, timeout: float, tick: Progress) -> None:
    """Until fills stop coming and the sampled lags of the sequencer, worker and connector
    are all zero (bounded)."""
    deadline, last, still = time.monotonic() + timeout, -1, 0
    while time.monotonic() < deadline:
        n = pipe.filled.value
        tick("settling (fills)", n, n)
        still = still + 1 if n == last else 0
        last = n
        lags = sampler.samples[-1].lag if sampler.samples else {}
        if still >= 4 and len(lags) >= 3 and not any(lags.values()):
            return
        time.sleep(0.5)


def run_ceiling(s: Settings, cfg: BenchConfig, work: Workload, root: Path,
                sampler: Sampler, progress: Progress) -> dict[str, Any]:
    """The same messages through a pass-through: the deposits, then the closed loop's range
    (repeated: `mix.repeated`)."""
    bootstrap = s.kafka_bootstrap_servers
    src, dst, tag = ceiling_topics(s, cfg.partitions)
    reqs, a, b = repeated(work, *plan(cfg, len(work.mix))[-1][2], cfg.reference_requests)
    with passthroughs(s, src, dst, tag, cfg.workers, root, sampler) as alive, \
            Pipeline(bootstrap, src, dst, f"{tag}-bench", True, reqs, cfg.linger_ms,
                     bench_conf(s), alive) as pipe:
        for role, pid in pipe.pids().items():
            sampler.watch(role, pid)
        runs: list[Phase] = [
            pipe.phase("raw warm-up", 0, a, None, cfg.window, progress, cfg.drain_timeout),
            pipe.phase("raw closed loop", a, b, None, cfg.window, progress, cfg.drain_timeout)]
        seen = pipe.close()
        sampler.unwatch(*pipe.pids())
    stamps = _stamps(s)
    t0 = runs[0].times[0] if runs[0].times else 0.0
    return {"phases": analyse.phases(reqs, runs, seen, sampler.samples, t0, stamps), "t0": t0,
            "series": analyse.sampled_series(sampler.between(t0, time.monotonic()), t0)}
