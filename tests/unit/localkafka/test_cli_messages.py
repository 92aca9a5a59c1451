"""`brokerage kafka start` says clearly what is wrong: no Java, no Maven, or a broker already
running on the data dir. No broker starts; the first test runs the CLI as a person types it,
the others its handler in process (a child costs seconds of imports)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from brokerage.config import Settings
from brokerage.entrypoints import kafka_cmd
from brokerage.localkafka import broker

BROKERAGE = str(Path(sys.executable).with_name("brokerage"))


def _kafka_start(tmp_path: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(PATH=path, BROKERAGE_STATE_DIR=str(tmp_path / "state"),
               BROKERAGE_KAFKA_CACHE_DIR=str(tmp_path / "cache"))  # nothing cached: Maven needed
    return subprocess.run([BROKERAGE, "kafka", "start", "--data-dir", str(tmp_path / "data")],
                          env=env, capture_output=True, text=True, timeout=60)


def _start_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str) -> str:
    monkeypatch.setenv("PATH", path)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    settings = Settings(kafka_cache_dir=tmp_path / "cache", kafka_bootstrap_servers="")
    args = argparse.Namespace(action="start", port=None, data_dir=tmp_path / "data")
    with pytest.raises(RuntimeError) as refused:
        kafka_cmd.run(args, settings)
    return str(refused.value)


def _tool(bin_dir: Path, name: str, script: str) -> None:
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / name).write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / name).chmod(0o755)


def test_missing_java_says_what_to_install(tmp_path: Path) -> None:
    done = _kafka_start(tmp_path, str(tmp_path / "empty"))
    assert done.returncode == 1
    assert done.stderr.startswith("brokerage: Java 17+ is required")
    assert "openjdk-17" in done.stderr


def test_old_java_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tool(tmp_path / "bin", "java", "echo 'openjdk version \"11.0.2\" 2019-01-15' >&2")
    said = _start_in_process(tmp_path, monkeypatch, str(tmp_path / "bin"))
    assert "found 11" in said and "openjdk-17" in said


def test_missing_maven_says_what_to_install(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _tool(tmp_path / "bin", "java", "echo 'openjdk version \"17.0.15\" 2025-04-15' >&2")
    said = _start_in_process(tmp_path, monkeypatch, str(tmp_path / "bin"))
    assert said == "Maven is required: apt-get install maven"


@pytest.fixture
def fake_running_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A process whose command line names kafka.Kafka, recorded as the data dir's broker."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "kafka.Kafka"])
    # A CI run once saw the handler take this stand-in for no broker and start a real one
    # (cause not known): make sure it reads as a broker first, and never leave one behind.
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    deadline = time.monotonic() + 30
    while b"kafka.Kafka" not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    data = tmp_path / "data"
    data.mkdir()
    (data / "broker.pid").write_text(f"{proc.pid}\n")
    (data / "broker.json").write_text(json.dumps(
        {"pid": proc.pid, "port": 1, "bootstrap": "127.0.0.1:1"}))
    yield proc.pid
    proc.kill()
    proc.wait()
    broker.stop(data)  # a real broker, had one started: it would hold port 9092


def test_second_start_is_refused_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        fake_running_broker: int) -> None:
    said = _start_in_process(tmp_path, monkeypatch, os.environ["PATH"])
    assert f"Kafka already running (pid {fake_running_broker})" in said
    assert "kafka stop" in said
