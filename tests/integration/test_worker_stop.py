"""Scenario: a worker is told to stop (SIGTERM) twice: once with its broker running, once
after its own broker (started for this test) has gone away, with a 3 s stop deadline.
We expect the first stop to finish cleanly (exit 0, no deadline message); the second to end
at the deadline with exit code 1 and a log line saying why, instead of faust waiting a
minute on a consumer thread that died in its own stop."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from brokerage.adapters.kafka import create_topics, topic_configs, topic_names
from brokerage.config import Settings
from brokerage.entrypoints.processes import Processes
from brokerage.localkafka import free_port, start, stop
from tests.integration.conftest import stack_settings
from tests.integration.helpers import until

pytestmark = pytest.mark.integration
DEADLINE = "still stopping after"


def ready(s: Settings) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{s.worker_web_port}/readyz", timeout=2).is_success
    except httpx.HTTPError:
        return False


def stopped(p: subprocess.Popen[bytes]) -> int:
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(45)  # well under faust's own 60 s wait, well over the deadline
    except subprocess.TimeoutExpired:
        p.kill()
        raise


def test_a_stop_without_a_broker_ends_at_the_deadline(
    tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    base = Settings()
    info = start(free_port(), tmp_path / "kafka", version=base.kafka_version,
                 cache_dir=base.kafka_cache_dir, heap=base.kafka_heap)
    try:
        s = stack_settings(info.bootstrap, tmp_path / "state", unique_name).model_copy(
            update={"worker_stop_seconds": 3.0})
        create_topics(info.bootstrap, topic_names(s), s.partitions, configs=topic_configs(s))
        log = tmp_path / "logs" / "worker.log"
        log.parent.mkdir()
        procs = Processes(s, str(log.parent))

        procs.start("worker")
        until(lambda: ready(s), "the worker ready", timeout=90, every=1)
        assert stopped(procs.procs["worker"]) == 0
        assert DEADLINE not in log.read_text()

        procs.start("worker")
        until(lambda: ready(s), "the worker ready again", timeout=90, every=1)
        stop(tmp_path / "kafka")
        assert stopped(procs.procs["worker"]) == 1
        assert DEADLINE in log.read_text()
    finally:
        stop(tmp_path / "kafka")
