"""`brokerage up`: broker (unless one is configured), topics, worker, exchange and API,
as child processes in the foreground. Ctrl-C or SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from brokerage.adapters.kafka import create_topics, topic_names
from brokerage.config import Settings
from brokerage.localkafka import broker

from . import kafka_cmd

ROLES = ("worker", "exchange", "api")


@contextmanager
def stack(settings: Settings, log_dir: str | None = None) -> Iterator[str]:
    """Run the stack; yield the API's base URL. Everything started here is stopped on exit."""
    started_broker = False
    bootstrap = settings.kafka_bootstrap_servers
    if not bootstrap:
        info = broker.status(settings.kafka_data_dir.resolve())
        if info is None:
            info = kafka_cmd.start(settings)
            started_broker = True
            print(f"started Kafka at {info.bootstrap}", flush=True)
        bootstrap = info.bootstrap
    children: list[subprocess.Popen[bytes]] = []
    try:
        create_topics(bootstrap, topic_names(settings), settings.partitions)
        mine = settings.model_copy(update={"kafka_bootstrap_servers": bootstrap})
        env = {**os.environ, **mine.to_env()}
        for role in ROLES:
            out = open(os.path.join(log_dir, f"{role}.log"), "ab") if log_dir else None  # noqa: SIM115
            children.append(subprocess.Popen(
                [sys.executable, "-m", "brokerage.cli", role], env=env,
                stdout=out, stderr=subprocess.STDOUT if out else None,
            ))
        url = f"http://{settings.api_host}:{settings.api_port}"
        _wait_ready(url, settings, children)
        yield url
    finally:
        for child in reversed(children):
            _terminate(child)
        if started_broker:
            broker.stop(settings.kafka_data_dir.resolve())
            print("stopped Kafka", flush=True)


def _wait_ready(url: str, settings: Settings, children: list[subprocess.Popen[bytes]]) -> None:
    """Wait until the API answers and the worker serves its tables (it has joined the group)."""
    worker = settings.worker_url_list()[0]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for c in children:
            if c.poll() is not None:
                raise RuntimeError(f"{c.args!r} exited with {c.returncode}")
        try:
            api_ok = httpx.get(f"{url}/healthz", timeout=1).status_code == 200
            probe = httpx.get(f"{worker}/state/traders/__probe__/", timeout=2)
            if api_ok and probe.status_code == 404:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError("the stack did not become ready within 120 s")


def _terminate(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)


def up(settings: Settings) -> int:
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    with stack(settings) as url:
        print(f"brokerage is up: API {url}  (Ctrl-C to stop)", flush=True)
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        print("stopping...", flush=True)
    return 0
