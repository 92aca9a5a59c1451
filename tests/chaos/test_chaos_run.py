"""Scenario: three workers, the exchange simulator and the connector take a few thousand
mixed requests (deposits, new, amend, cancel, duplicates, rejects) from a hundred traders,
while workers are killed with SIGKILL and restarted, the exchange has an outage and the broker
restarts. We expect the verifier to find zero violations: every request answered once (or
identically), trades consistent with the exchange's reports, every ledger conserved, and a
replay of the input log equal to the live tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from brokerage.chaos.run import ChaosConfig
from brokerage.config import Settings
from brokerage.entrypoints.chaos_cmd import own_broker_run

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(900)]  # kills, a restart, stall repair
REQUESTS = int(os.environ.get("BROKERAGE_CHAOS_REQUESTS", "3000"))


def test_bounded_chaos_run_verifies_clean(tmp_path: Path) -> None:
    seed = int(os.environ.get("BROKERAGE_CHAOS_SEED", "11"))
    cfg = ChaosConfig(requests=REQUESTS, traders=100, workers=3, rate=150.0, kill_every=3.0,
                      kills=2, outage_seconds=3.0, seed=seed, settle_timeout=600)
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        result = own_broker_run(Settings(), cfg, log_dir=str(logs))
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            print(f"==== {log.name}\n{log.read_text()[-3000:]}")
        raise
    print(result.faults.events, result.counts, result.faults.recovery_seconds)
    assert result.requests == REQUESTS
    assert "broker restart" in result.faults.events
    assert sum(e.startswith("kill -9") for e in result.faults.events) >= 2
    assert any(e.startswith("exchange outage") for e in result.faults.events)
    assert result.counts["requests"] == REQUESTS and result.counts["executions"] > 0
    assert result.violations == []
