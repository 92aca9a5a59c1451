"""From raw sends, answers, fills and samples to a complete result: per-phase figures,
ratios, targets met or not, and the three files (JSON with every required key, a Markdown
table, a PNG)."""

from __future__ import annotations

import json
from pathlib import Path

from brokerage.bench import analyse, mix, results
from brokerage.bench.output import write
from brokerage.bench.pipeline import Collected, Phase
from brokerage.bench.samplers import Sample
from brokerage.domain import refdata

RD = refdata.load()


def _run(latency: float, fill_after: float | None) -> dict[str, object]:
    w = mix.build(200, 10, RD, seed=5)
    reqs = w.deposits + w.mix
    d = len(w.deposits)
    phases = [Phase("warm-up (deposits)", 0, d, None, 50, [0.0] * d, 0.1, 0.5),
              Phase("open 5,000/s", d, d + 100, 5_000.0, 50,
                    [1.0 + i / 5_000 for i in range(100)], 1.02, 1.5),
              Phase("closed loop", d + 100, d + 200, None, 50,
                    [2.0 + i / 1_000 for i in range(100)], 2.1, 2.5)]
    sends = [(reqs[p.start + i].request_id, t) for p in phases for i, t in enumerate(p.times)]
    answers = [(t + latency, rid) for rid, t in sends]
    fills = ([(t + fill_after, r.trade_id) for p in phases for r, t in
              zip(reqs[p.start:p.end], p.times, strict=True) if r.trade_id]
             if fill_after is not None else [])
    # CPU seconds so far: the worker 0.05 s per 0.1 s sample, the broker 0.02, the bench's
    # generator 0.01 (not the stack's)
    samples = [Sample(t / 10, {"worker-0": 50.0}, {"worker-0": 100.0}, {"worker": 3},
                      {"worker-0": t * 0.05, "kafka": t * 0.02, "bench-generator": t * 0.01})
               for t in range(40)]
    samples += [Sample(4.0 + t / 10) for t in range(5)]  # the stack no longer watched
    seen = Collected(answers, fills, {"accepted": len(answers)})
    return {"phases": analyse.phases(reqs, phases, seen, samples, 0.0),
            "series": analyse.sampled_series(samples, 0.0)}


def test_phase_figures_from_raw_observations() -> None:
    ours = _run(0.004, 0.050)
    open5k = ours["phases"][1]  # type: ignore[index]
    assert open5k["answered"] == 100 and open5k["unanswered"] == 0
    assert abs(open5k["latency"]["p99_ms"] - 4.0) < 1e-6
    assert open5k["settled"] == open5k["new_trades"] > 0
    assert open5k["processes"]["worker-0"]["cpu_mean_pct"] == 50.0
    assert open5k["lag_max"] == {"worker": 3}
    # From its start (1.0 s) to the next phase's (2.0 s): 10 sample steps over 100 answers
    cpu = open5k["cpu_us_per_request"]
    assert round(cpu["worker-0"]) == 5_000 and round(cpu["kafka"]) == 2_000
    assert round(cpu["all"]) == 7_000 and round(cpu["bench-generator"]) == 1_000
    # The last phase runs to the end, past the samples that still watched the stack
    assert round(ours["phases"][2]["cpu_us_per_request"]["worker-0"]) == 5 * 19 * 100  # type: ignore[index]


def test_a_fill_in_a_later_phase_does_not_stretch_the_settled_rate() -> None:
    prompt = _run(0.004, 0.005)["phases"][1]  # type: ignore[index]
    late = _run(0.004, 1.5)["phases"][1]  # type: ignore[index]  # filled in the next phase
    assert prompt["settled"] == prompt["new_trades"] > 0
    # 100 requests over 20 ms, fills 5 ms after each send: thousands a second
    assert prompt["settled_per_s"] > 1_000
    assert late["settled"] == 0 and late["settled_per_s"] == 0


def test_a_complete_document_ratios_targets_and_files(tmp_path: Path) -> None:
    ours, raw = _run(0.004, 0.050), _run(0.001, None)
    pg = {"synchronous_commit": False, "best": {"per_s": 10.0}, "variants": []}
    doc = results.document("2026-01-01T00:00:00+00:00", {"cpus": 2, "load_before": "1"},
                           {"workers": 1, "partitions": 8, "traders": 10, "window": 50},
                           {"NewTrade": 1}, ours, raw, pg)
    assert results.missing(doc) == []
    s = doc["summary"]
    assert s["ratio_vs_ceiling"] == s["validated_per_s"] / s["ceiling_per_s"]
    assert s["ratio_vs_postgres"] == s["validated_per_s"] / 10.0
    met = {t["target"]: t["met"] for t in doc["targets"]}
    assert met["p99 request->response < 25 ms at 5,000 req/s"] is True
    assert met[">= 20,000 validated requests/s"] is False
    paths = write(doc, tmp_path)
    loaded = json.loads(paths["json"].read_text())
    assert results.missing(loaded) == []
    assert "| ours | closed loop |" in paths["md"].read_text()
    assert "| open 5,000/s | 7,000 | 5,000 | 2,000 | - | - | - |" in paths["md"].read_text()
    assert paths["png"].read_bytes()[:4] == b"\x89PNG"


def test_missing_names_what_an_incomplete_result_lacks() -> None:
    assert "postgres" in results.missing({"ours": {"phases": [1]}})
    skipped = results.document("t", {}, {}, {}, {"phases": []}, {"skipped": "x"},
                               {"skipped": "y"})
    assert results.missing(skipped) == ["ours.phases"]
    assert {t["met"] for t in skipped["targets"]} == {None}
