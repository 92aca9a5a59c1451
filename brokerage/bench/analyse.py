"""From what the generator sent, the collector saw and the samplers recorded, to the figures
of each phase. Pure."""

from __future__ import annotations

from typing import Any

from . import hops, stats
from .mix import Request
from .pipeline import Collected, Phase
from .samplers import Sample, cpu_seconds, summarise


def phases(reqs: list[Request], runs: list[Phase], seen: Collected, samples: list[Sample],
           t_run: float, stamps: hops.Stamps | None = None) -> list[dict[str, Any]]:
    """Each phase's figures; `t_run` is the run's start (phase start times are from it);
    `stamps`: the records' times, for the latency by hop."""
    sends = [(reqs[p.start + i].request_id, t) for p in runs for i, t in enumerate(p.times)]
    latency = stats.align(sends, seen.answers)
    first_fill: dict[str, float] = {}
    for t, tid in seen.fills:
        first_fill.setdefault(tid, t)
    out, at = [], 0
    for n, p in enumerate(runs):
        lat = latency[at:at + len(p.times)]
        at += len(p.times)
        until = next((q.times[0] for q in runs[n + 1:] if q.times), float("inf"))
        out.append(_phase(p, reqs, lat, first_fill, samples, t_run, until))
        if stamps is not None:
            ids = [reqs[p.start + i].request_id for i in range(len(p.times))]
            took = {rid: x[1] for rid, x in zip(ids, lat, strict=True) if x is not None}
            out[-1]["hops"] = hops.summarise(ids, took, stamps)
    return out


def _phase(p: Phase, reqs: list[Request], lat: list[tuple[float, float] | None],
           first_fill: dict[str, float], samples: list[Sample], t_run: float,
           until: float = float("inf")) -> dict[str, Any]:
    """A trade counts as settled in its phase if its FILLED update came before the next
    phase began: an order resting until a later phase's flow crossed it said nothing about
    this phase's rate, and used to stretch its window (a 10 s phase measured over ~40 s)."""
    t0 = p.times[0] if p.times else p.sent_at
    answered = [x for x in lat if x is not None]
    last = max((t for t, _ in answered), default=t0)
    trades = {}
    for i, t in enumerate(p.times):
        tid = reqs[p.start + i].trade_id
        if tid and tid not in trades:
            trades[tid] = t
    settled = [(first_fill[tid], first_fill[tid] - t) for tid, t in trades.items()
               if tid in first_fill and t <= first_fill[tid] < until]
    last_fill = max((f for f, _ in settled), default=t0)
    window = [s for s in samples if t0 <= s.t <= max(last, p.drained_at)]
    # Up to the next phase: the settling after the answers (fills) is this phase's work too.
    spent = cpu_seconds(samples, t0, until)
    return {
        "name": p.name, "mode": "open" if p.rate else "closed", "offered_per_s": p.rate,
        "window": None if p.rate else p.window, "requests": len(p.times),
        "start_s": t0 - t_run, "seconds": max(last, last_fill) - t0,
        "sent_per_s": stats.rate(len(p.times), t0, p.sent_at),
        "answered": len(answered), "unanswered": len(p.times) - len(answered),
        "validated_per_s": stats.rate(len(answered), t0, last),
        "latency": stats.latency_summary(x for _, x in answered),
        "new_trades": len(trades), "settled": len(settled),
        "settled_per_s": stats.rate(len(settled), t0, last_fill),
        "settle_latency": stats.latency_summary(x for _, x in settled),
        **(summarise(window) if window else {"processes": {}, "lag_max": {}}),
        "cpu_us_per_request": per_request(spent, len(answered)),
        "series": {
            "answers_per_s": stats.series((t for t, _ in answered), t0),
            "fills_per_s": stats.series((f for f, _ in settled), t0),
            "latency_cdf": stats.cdf(x for _, x in answered),
        },
    }


def per_request(spent: dict[str, float], answered: int) -> dict[str, float]:
    """CPU µs per answered request by role, and "all" of the stack (not the bench's own
    generator and collector): steadier than a rate on a shared machine, as it does not
    depend on what else got the cores meanwhile."""
    if not answered or not spent:
        return {}
    out = {r: v * 1e6 / answered for r, v in spent.items()}
    out["all"] = sum(v for r, v in out.items() if not r.startswith("bench"))
    return out


def sampled_series(samples: list[Sample], t0: float) -> dict[str, Any]:
    """Lag, CPU and RSS over the whole run, seconds from t0, for the plot and the JSON."""
    return {
        "t": [round(s.t - t0, 2) for s in samples],
        "lag": {g: [s.lag.get(g) for s in samples] for g in sorted({g for s in samples
                                                                      for g in s.lag})},
        "cpu": {r: [s.cpu.get(r) for s in samples] for r in sorted({r for s in samples
                                                                    for r in s.cpu})},
        "rss_mb": {r: [s.rss_mb.get(r) for s in samples] for r in sorted({r for s in samples
                                                                          for r in s.rss_mb})},
    }
