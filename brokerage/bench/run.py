"""One `brokerage bench`: the raw ceiling and our stack on a broker (its own unless one is
configured), then the PostgreSQL baseline once the broker is gone, then the three files."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from brokerage import localpg
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.entrypoints import kafka_cmd
from brokerage.localkafka import broker, free_port
from brokerage.security import brokerconf, clientconf

from .config import BenchConfig
from .floor_run import run_floor, shape_of
from .mix import Workload, build, kinds
from .output import folder_for
from .pgrun import run_postgres
from .pipeline import Progress
from .profile import Profiler
from .results import document
from .runs import plan, run_ceiling, run_ours
from .samplers import Sampler
from .scaling import run_scaling
from .stackrun import drop_run_topics


@contextmanager
def kafka(base: Settings, root: Path, secure: bool = False
          ) -> Iterator[tuple[Settings, int | None]]:
    """The configured broker, or one of our own in `root` for the block (and its pid);
    `secure`: ours as `kafka start --secure` makes it, the bench signed in as admin."""
    if base.kafka_bootstrap_servers:
        # This process's clients use these settings' security (raises if incomplete).
        with clientconf.using(base.kafka_bootstrap_servers, clientconf.security_conf(base)):
            try:
                yield base, None
            finally:  # the broker outlives the run: leave it as it was
                dropped = drop_run_topics(base.kafka_bootstrap_servers)
                print(f"deleted the run's {len(dropped)} topics", flush=True)
        return
    data = root / "kafka"
    info = kafka_cmd.start(base, free_port(), data, secure=secure)
    update: dict[str, object] = {"kafka_bootstrap_servers": info.bootstrap}
    if secure:
        update.update(brokerconf.client_settings(data))
    try:
        yield base.model_copy(update=update), info.pid
    finally:
        broker.stop(data)


def bench(base: Settings, cfg: BenchConfig, progress: Progress,
          state_traders: list[int] | None = None) -> dict[str, Any]:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "platform": platform.platform(),
               "python": platform.python_version(),
               "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
               "code": code_version(), "tuning": {k: getattr(base, k) for k in TUNING}}
    rd = refdata_mod.load(base.refdata_path)
    sizes = sum(b - a for _, _, (a, b) in plan(cfg, 10**12))
    work = build(sizes, cfg.traders, rd, cfg.seed)
    root = Path(tempfile.mkdtemp(prefix="brokerage-bench-"))
    ok, clock = False, Clock()
    try:
        with kafka(base, root, cfg.secure) as (settings, pid):
            clock.lap("broker")
            machine["kafka_security"] = settings.kafka_security_protocol.upper()
            sampler = Sampler(settings.kafka_bootstrap_servers)
            if pid:
                sampler.watch("kafka", pid)
            sampler.start()
            try:
                ceiling = ({"skipped": "--skip-ceiling"} if cfg.skip_ceiling else run_ceiling(
                    settings, cfg, work, root, sampler, progress))
                clock.lap("raw ceiling")
                profiler = Profiler(root / "profiles") if cfg.profile else None
                ours = run_ours(settings, cfg, work, root, sampler, progress,
                                profiler=profiler)
                clock.lap("ours")
                floor = _floor(settings, cfg, work, rd, ours, root, sampler, progress)
                clock.lap("topology floor")
                scaling = (run_scaling(settings, cfg, rd, root, sampler, progress,
                                       state_traders or [10_000, 100_000])
                           if cfg.scaling else None)
                clock.lap("scaling")
            finally:
                sampler.stop()
        clock.lap("broker stop")
        postgres = _postgres(cfg, work, rd, root, progress)
        clock.lap("postgres")
        ok = True
    finally:
        if ok:
            logs = folder_for(cfg.out, started) / "logs"  # the children's output, for reading
            logs.mkdir(parents=True, exist_ok=True)
            for log in root.glob("*.log"):
                shutil.copy(log, logs / log.name)
            if (root / "profiles").is_dir():  # py-spy's raw stacks (--profile)
                shutil.copytree(root / "profiles", logs.parent / "profiles")
            shutil.rmtree(root, ignore_errors=True)
        else:
            print(f"bench failed; logs kept in {root}", flush=True)
    machine["step_seconds"] = clock.laps
    return document(started, machine, cfg.as_dict(), kinds(work.mix), ours, ceiling,
                    postgres, scaling, floor)


def _floor(s: Settings, cfg: BenchConfig, work: Workload, rd: refdata_mod.RefData,
           ours: dict[str, Any], root: Path, sampler: Sampler, progress: Progress
           ) -> dict[str, Any]:
    if cfg.skip_floor or cfg.secure:  # its stand-ins have no users or ACLs of their own
        return {"skipped": "--skip-floor" if cfg.skip_floor else "--secure"}
    shape = shape_of(work, rd, ours.get("messages"))
    return run_floor(s, cfg, work, shape, root, sampler, progress,
                     plan(cfg, len(work.mix))[-1][2])


# The settings that move the figures (README: Performance), recorded with each result.
TUNING = ("log_events", "log_events_sample", "worker_batch_max", "worker_batch_seconds",
          "worker_commit_every", "worker_changelog_buffer", "worker_key_index", "kafka_linger_ms",
          "kafka_fetch_wait_ms", "kafka_fetch_min_bytes", "sequencer_batch_ms",
          "sequencer_batch_above", "sequencer_batch_max")


def code_version() -> str:
    """The commit measured, and whether the rules' code differed from it (uncommitted)."""
    repo = Path(__file__).resolve().parents[2]

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                                  timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "streams", "brokerage/service",
                "brokerage/domain", "brokerage/codec", "connectors")
    return f"{head}{' + uncommitted changes' if dirty else ''}"


class Clock:
    """Wall seconds of each step of the run (reported: where the bench's own time goes)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._at = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self._at, 1)
        self._at = now


def _postgres(cfg: BenchConfig, work: Any, rd: Any, root: Path, progress: Progress
              ) -> dict[str, Any]:
    if cfg.skip_postgres:
        return {"skipped": "--skip-postgres"}
    try:
        return run_postgres(root, work, rd, cfg.pg_connections, cfg.pg_batch,
                            cfg.pg_sync_commit, progress)
    except localpg.MissingPostgresError as exc:
        return {"skipped": str(exc)}
    except (localpg.PgError, psycopg.Error) as exc:  # the Kafka figures still stand
        return {"skipped": f"failed: {exc}"}
