"""`brokerage bench --profile`: py-spy's collapsed stacks become each process's top functions,
by self and by inclusive share; and a real py-spy run on a busy child names its hot function."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from brokerage.bench.profile import Profiler, summary
from brokerage.bench.report import profiles_md


def test_collapsed_stacks_become_self_and_inclusive_shares(tmp_path: Path) -> None:
    raw = tmp_path / "p.txt"
    ours, lib = "brokerage", "fastavro"  # py-spy's paths are relative to sys.path
    raw.write_text(
        f"main ({ours}/cli.py:3);serve (streams/app.py:5);run_forever (asyncio/base.py:9);"
        f"apply ({ours}/domain/rules.py:10);encode ({lib}/codec.py:4) 6\n"
        f"main ({ours}/cli.py:3);serve (streams/app.py:5);run_forever (asyncio/base.py:9);"
        f"apply ({ours}/domain/rules.py:12) 3\n"
        f"main ({ours}/cli.py:3);serve (streams/app.py:5);run_forever (asyncio/base.py:11) 1\n"
        "not a stack line\n")
    s = summary(raw)
    assert s["samples"] == 10
    assert s["self"] == [[60.0, "encode (codec.py)"], [30.0, "apply (rules.py)"],
                         [10.0, "run_forever (base.py)"]]  # apply's two lines: one function
    # Inclusive: our own code only (not the library's encode nor asyncio's loop), and not
    # the command line's main.
    assert s["inclusive"] == [[90.0, "apply (rules.py)"]]  # serve: under every sample
    md = profiles_md({"closed loop": {"worker": s, "connector": {"error": "denied"}}})
    assert "| worker | 10 | 60.0 encode (codec.py)" in md and "py-spy: denied" in md
    assert "| 90.0 apply (rules.py) |" in md


def test_a_busy_child_is_profiled_through_a_phase(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c",
                              "def spin():\n while True: sum(range(1000))\nspin()"])
    try:
        profiler = Profiler(tmp_path / "profiles", rate=200)
        with profiler.phase("open 1,000/s", {"worker": child.pid}):
            time.sleep(1.5)
    finally:
        child.kill()
        child.wait()
    got = profiler.results["open 1,000/s"]["worker"]
    if "error" in got:  # py-spy needs ptrace; some sandboxes refuse it
        pytest.skip(f"py-spy cannot attach here: {got['error']}")
    assert (tmp_path / "profiles" / "open-1-000-s.worker.txt").exists()
    assert got["samples"] > 50
    assert any(name.startswith("spin (") for _, name in got["self"] + got["inclusive"])
