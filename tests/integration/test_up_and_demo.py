"""Scenario: a person runs `brokerage up` in one shell and `brokerage demo` in another, then
presses Ctrl-C. We expect the demo to print its tables (fills, the INSUFFICIENT_FUNDS reject,
wallets), `up` to stop cleanly on SIGINT, and no process it started to outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil

from .conftest import stack_settings
from .helpers import until

BROKERAGE = str(Path(sys.executable).with_name("brokerage"))


def test_up_then_demo_then_ctrl_c(kafka_bootstrap: str, tmp_path: Path,
                                  unique_name: Callable[[str], str]) -> None:
    settings = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name)
    env = {**os.environ, **settings.to_env(), "BROKERAGE_LOG_LEVEL": "WARNING"}
    log = (tmp_path / "up.log").open("w+")
    up = subprocess.Popen([BROKERAGE, "up"], env=env, stdout=log, stderr=subprocess.STDOUT,
                          text=True, start_new_session=True)
    children: list[psutil.Process] = []
    try:
        until(lambda: "brokerage is up" in (tmp_path / "up.log").read_text()
              or up.poll() is not None, "brokerage up", timeout=180)
        assert up.poll() is None, (tmp_path / "up.log").read_text()[-3000:]
        children = psutil.Process(up.pid).children(recursive=True)
        assert len(children) >= 5  # sequencer, worker, exchange-sim, connector, API at least

        demo = subprocess.run([BROKERAGE, "demo"], env=env, capture_output=True, text=True,
                              timeout=240)
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert "INSUFFICIENT_FUNDS" in demo.stdout
        assert "FILLED" in demo.stdout and "wallet" in demo.stdout.lower()
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGINT)  # what Ctrl-C sends: to the foreground group
        code = up.wait(timeout=120)
    assert code == 0, (tmp_path / "up.log").read_text()[-3000:]
    assert "stopping" in (tmp_path / "up.log").read_text()
    left = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert left == [], [p.cmdline() for p in left]


def test_exchange_runs_the_venue_and_its_connector(kafka_bootstrap: str, tmp_path: Path,
                                                   unique_name: Callable[[str], str]) -> None:
    """Scenario: `brokerage exchange` (the walking skeleton's name for the venue with its
    connector) runs, then gets SIGTERM. We expect the venue to answer, the connector to serve
    its metrics, and both children gone once it returns."""
    settings = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name)
    env = {**os.environ, **settings.to_env(), "BROKERAGE_LOG_LEVEL": "WARNING"}
    ex = subprocess.Popen([BROKERAGE, "exchange"], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    children: list[psutil.Process] = []
    try:
        metrics = f"http://127.0.0.1:{settings.connector_metrics_port}/metrics"
        until(lambda: _answers(f"{settings.exchange_url}/healthz") and _answers(metrics),
              "venue and connector", timeout=90)
        children = psutil.Process(ex.pid).children(recursive=True)
        assert {c.cmdline()[-1] for c in children} >= {"exchange-sim", "connector"}
    finally:
        ex.terminate()
        code = ex.wait(timeout=60)
    assert code == 0
    assert [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE] == []


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
