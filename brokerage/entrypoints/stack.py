"""`brokerage up`: broker (unless one is configured), topics, exchange simulator, worker,
connector and API, as child processes in the foreground. Ctrl-C or SIGTERM stops them all."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from brokerage import localpg
from brokerage.adapters.kafka import create_topics, topic_configs, topic_names
from brokerage.config import Settings
from brokerage.localkafka import broker
from brokerage.security import brokerconf

from . import kafka_cmd, postgres_cmd
from .demo_statement import postgres_available
from .processes import Processes

ROLES = ("exchange-sim", "sequencer", "worker", "connector", "api")


@dataclass
class Running:
    url: str  # the API
    processes: Processes

    @property
    def settings(self) -> Settings:
        return self.processes.settings


@contextmanager
def stack(settings: Settings, log_dir: str | None = None,
          extra: Sequence[Sequence[str]] = (), reporting: bool = False) -> Iterator[Running]:
    """Run the stack until the block ends; everything started here is stopped on exit.

    `extra` starts more processes before waiting, each as (role, *args): e.g.
    ("worker-1", "--id", "1", "--web-port", "6067") for a second worker, whose URL must then
    be in settings.worker_urls too (readiness waits for every listed worker).

    `reporting` adds the PostgreSQL sink, and a local PostgreSQL unless a DSN is set."""
    started_broker = False
    bootstrap = settings.kafka_bootstrap_servers
    if not bootstrap:
        info = broker.status(settings.kafka_data_dir.resolve())
        if info is None:
            info = kafka_cmd.start(settings)
            started_broker = True
            print(f"started Kafka at {info.bootstrap}", flush=True)
        bootstrap = info.bootstrap
        if info.secure:  # `brokerage kafka start --secure`: children sign in per service
            settings = settings.model_copy(update=brokerconf.client_settings(info.data_dir))
    procs = Processes(settings.model_copy(update={"kafka_bootstrap_servers": bootstrap}),
                      log_dir)
    started_pg, supervising = False, threading.Event()
    try:
        procs.supervise(supervising)  # a worker that exits 75 to re-read is started again
        if reporting:
            started_pg = _start_postgres(procs)
        create_topics(bootstrap, topic_names(settings), settings.partitions,
                      configs=topic_configs(settings))
        for role in ROLES:
            procs.start(role)
        if reporting:
            procs.start("sink", "postgres")
        for role, *args in extra:
            procs.start(role, *args)
        scheme = "https" if settings.api_ssl_certfile else "http"
        running = Running(f"{scheme}://{settings.api_host}:{settings.api_port}", procs)
        wait_ready(running)
        yield running
    finally:
        supervising.set()
        procs.stop_all()
        if started_pg:
            localpg.stop(settings.postgres_data_dir)
            print("stopped PostgreSQL", flush=True)
        if started_broker:
            broker.stop(settings.kafka_data_dir.resolve())
            print("stopped Kafka", flush=True)


def _start_postgres(procs: Processes) -> bool:
    """The local PostgreSQL unless a DSN is configured; True if it was started here."""
    s = procs.settings
    if s.postgres_dsn is not None:
        return False
    started = localpg.status(s.postgres_data_dir) is None
    procs.settings = s.model_copy(update={"postgres_dsn": SecretStr(postgres_cmd.start(s))})
    if started:
        print(f"started PostgreSQL in {s.postgres_data_dir}", flush=True)
    return started


def wait_ready(running: Running, timeout: float = 120) -> None:
    """Until the exchange answers, the workers have their partitions and the API is up."""
    s = running.settings
    probes = [f"{s.exchange_url}/healthz", f"{running.url}/healthz",
              *(f"{w}/readyz" for w in s.worker_url_list())]
    deadline = time.monotonic() + timeout
    # One client: httpx.get builds a TLS context per call (~10 ms of CPU), which the
    # services starting beside this loop need more.
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            running.processes.check()
            try:
                if all(http.get(p).status_code == 200 for p in probes):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
    raise RuntimeError(f"the stack did not become ready within {timeout:.0f} s")


def up(settings: Settings) -> int:
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    # The reporting store is optional: without PostgreSQL (or a DSN) the rest still runs.
    reporting = postgres_available(settings)
    if not reporting:
        print("PostgreSQL not found: running without the reporting store "
              "(apt-get install postgresql, or set BROKERAGE_POSTGRES_DSN)", flush=True)
    with stack(settings, reporting=reporting) as running:
        print(f"brokerage is up: API {running.url}, exchange {settings.exchange_url} "
              "(Ctrl-C to stop)", flush=True)
        try:
            while not stop:
                time.sleep(0.5)
                running.processes.check()
        except KeyboardInterrupt:
            pass
        print("stopping...", flush=True)
    return 0
