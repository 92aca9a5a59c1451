"""Scenario: `brokerage bench --smoke` runs for a few seconds against the session broker: a raw
pass-through ceiling, our stack (exchange simulator, sequencer, worker, connector) through a
warm-up, one open-loop rate and a closed loop, the topology floor (our messages without our
logic), then the PostgreSQL baseline on a cluster of its own. We expect one complete result:
JSON with every required key, every request of every phase answered (ours, the pass-through
and the floor), the messages our run wrote per topic, the PostgreSQL variants, a Markdown
table with our rows, the raw ceiling's, the floor's and PostgreSQL's, each answered
request's latency split by hop (from its records' timestamps), and a PNG; and none of the
run's topics left on the session broker, which outlives it. No figure is judged: timings on
a shared machine are not a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from brokerage.adapters.kafka import admin_client
from brokerage.bench.results import missing
from brokerage.localpg import installed

pytestmark = pytest.mark.integration


def bench_topics(bootstrap: str) -> set[str]:
    return {t for t in admin_client(bootstrap).list_topics(timeout=30).topics
            if t.startswith("bench-")}


def test_bench_smoke_writes_a_complete_result(kafka_bootstrap: str, tmp_path: Path) -> None:
    out = tmp_path / "results"
    before = bench_topics(kafka_bootstrap)
    done = subprocess.run(
        [sys.executable, "-m", "brokerage.cli", "bench", "--smoke", "--bootstrap",
         kafka_bootstrap, "--out", str(out)],
        capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    # A broker that outlives the run (--bootstrap) keeps none of its topics.
    assert bench_topics(kafka_bootstrap) == before
    assert "deleted the run's" in done.stdout
    (folder,) = out.iterdir()
    doc = json.loads((folder / "result.json").read_text())
    assert missing(doc) == []
    for run in ("ours", "ceiling", "floor"):
        for phase in doc[run]["phases"]:
            assert phase["requests"] > 0 and phase["unanswered"] == 0, (run, phase["name"])
    assert [p["mode"] for p in doc["ours"]["phases"]] == ["closed", "open", "closed"]
    counts = doc["ours"]["messages"]  # every request of the mix, and its answers
    assert counts["requests"] == sum(p["requests"] for p in doc["ours"]["phases"])
    assert counts["responses"] >= counts["requests"] > counts["orders"] > 0
    assert doc["summary"]["floor_per_s"] > 0 and doc["summary"]["floor_settled_per_s"] > 0
    assert doc["floor"]["shape"]["orders_per_request"] > 0
    for phase in doc["ours"]["phases"][1:]:  # each request's hops, from its records' times
        hops = phase["hops"]
        assert set(hops) == {"sequencer", "worker", "delivery"}
        # Repeated request ids (the mix repeats some: both sends) are left out.
        counts = {h["count"] for h in hops.values()}
        assert len(counts) == 1 and phase["answered"] // 2 <= counts.pop(), phase["name"]
    if installed():
        assert doc["postgres"]["variants"] and doc["postgres"]["best"]["requests"] > 0
    table = (folder / "result.md").read_text()
    assert "| ours | closed loop |" in table and "| raw ceiling |" in table
    assert "| topology floor | floor closed loop |" in table and "ours / floor =" in table
    assert "| phase | requests | sequencer p50 / p99 ms" in table
    if installed():
        assert "| PostgreSQL |" in table
    assert (folder / "result.png").read_bytes()[:4] == b"\x89PNG"
