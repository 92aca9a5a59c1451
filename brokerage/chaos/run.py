"""`brokerage chaos`: load the real stack, break it while it works, then verify the ledger."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from brokerage.adapters.kafka import create_topics, producer, topic_configs, topic_names
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.entrypoints.processes import Processes
from brokerage.localkafka import free_port
from brokerage.service.verify import verify

from .faults import FaultLog, inject, workers_ready
from .lag import lag
from .workload import generate


@dataclass
class ChaosConfig:
    requests: int = 20_000
    traders: int = 1_000
    workers: int = 3
    rate: float = 1_000.0  # requests/s offered
    kill_every: float = 5.0
    kills: int = 4  # at least this many worker kills, whatever the load's length
    outage_seconds: float = 4.0
    seed: int = 1
    settle_timeout: float = 600.0


@dataclass
class ChaosResult:
    requests: int = 0
    faults: FaultLog = field(default_factory=FaultLog)
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    load_seconds: float = 0.0
    settle_seconds: float = 0.0


def with_workers(settings: Settings, n: int) -> tuple[Settings, dict[str, list[str]]]:
    ports = [free_port() for _ in range(n)]
    urls = ",".join(f"http://127.0.0.1:{p}" for p in ports)
    args = {f"worker-{i}": ["--id", str(i), "--web-port", str(p)] for i, p in enumerate(ports)}
    return settings.model_copy(update={"worker_urls": urls}), args


def run(settings: Settings, cfg: ChaosConfig, log_dir: str | None,
        restart_broker: Callable[[], None] | None = None,
        progress: Callable[[int, int], None] = lambda done, total: None) -> ChaosResult:
    bootstrap = settings.kafka_bootstrap_servers
    settings, workers = with_workers(settings, cfg.workers)
    create_topics(bootstrap, topic_names(settings), settings.partitions,
                  configs=topic_configs(settings))
    procs, result = Processes(settings, log_dir), ChaosResult()
    urls = settings.worker_url_list()
    supervising, deaths = threading.Event(), list[Exception]()
    try:
        procs.start("exchange-sim")
        procs.start("sequencer")
        for role, args in workers.items():
            procs.start(role, *args)
        procs.start("connector")
        _wait(lambda: workers_ready(urls), 180, procs)
        # A worker that asks to be restarted (exit 75) is started again within a second,
        # whatever the main thread is doing; any other death fails the run.
        threading.Thread(target=_supervise, args=(procs, supervising, deaths),
                         daemon=True).start()
        msgs = list(generate(cfg.requests, cfg.traders, refdata_mod.load(), cfg.seed))
        stop = threading.Event()
        faults = threading.Thread(target=inject, daemon=True, args=(
            stop, procs, workers, urls, settings.exchange_url, cfg.kill_every,
            cfg.outage_seconds, restart_broker, cfg.seed, cfg.kills, result.faults))
        t0 = time.monotonic()
        faults.start()
        prod = producer(bootstrap, **{"message.send.max.retries": 1_000_000})
        for i, m in enumerate(msgs):
            prod.produce(settings.topic_requests, m.value, m.key)
            prod.poll(0)
            if i % 200 == 0:
                if deaths:
                    raise deaths[0]
                progress(i, len(msgs))
                ahead = i / cfg.rate - (time.monotonic() - t0)
                if ahead > 0:
                    time.sleep(ahead)
        if prod.flush(120):
            raise RuntimeError("could not produce the workload")
        progress(len(msgs), len(msgs))
        result.requests, result.load_seconds = len(msgs), time.monotonic() - t0
        stop.set()  # no new kills; the planned ones still happen
        faults.join(600)
        t1 = time.monotonic()
        _wait(lambda: quiescent(bootstrap, settings), cfg.settle_timeout, procs)
        result.settle_seconds = time.monotonic() - t1
        report = verify(bootstrap, settings, refdata_mod.load(settings.refdata_path))
        result.violations, result.counts = report.violations, report.counts
        result.counts["worker self-restarts (input gaps)"] = len(procs.restarts)
        return result
    finally:
        supervising.set()
        procs.stop_all()


def quiescent(bootstrap: str, s: Settings) -> bool:
    """Nothing left to process anywhere, twice in a row a second apart."""
    def idle() -> bool:
        sequencer = lag(bootstrap, f"{s.app_id}-sequencer",
                        [s.topic_requests, s.topic_executions])
        worker = sequencer + lag(bootstrap, s.app_id, [s.topic_inputs])
        connector = lag(bootstrap, f"{s.app_id}-connector", [s.topic_orders])
        try:
            health = httpx.get(f"{s.exchange_url}/executions",
                               params={"after": 0, "limit": 1}, timeout=5).json()
        except httpx.HTTPError:
            return False
        return worker == 0 and connector == 0 and health is not None

    if not idle():
        return False
    time.sleep(1.0)
    return idle()


def _supervise(procs: Processes, done: threading.Event, deaths: list[Exception]) -> None:
    while not done.wait(0.5):
        try:
            procs.check()
        except RuntimeError as exc:
            deaths.append(exc)
            return


def _wait(check: Callable[[], bool], timeout: float, procs: Processes) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        procs.check()
        if time.monotonic() > deadline:
            raise RuntimeError(f"not reached within {timeout:.0f}s")
        time.sleep(0.5)
