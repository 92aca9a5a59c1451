"""Faults injected while the load runs: worker kills, an exchange outage, a broker restart."""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from brokerage.entrypoints.processes import Processes


@dataclass
class FaultLog:
    events: list[str] = field(default_factory=list)
    recovery_seconds: list[float] = field(default_factory=list)


def workers_ready(urls: list[str]) -> bool:
    try:
        return all(httpx.get(f"{u}/readyz", timeout=2).status_code == 200 for u in urls)
    except httpx.HTTPError:
        return False


def kill_and_restart_worker(procs: Processes, workers: dict[str, list[str]], urls: list[str],
                            rng: random.Random, log: FaultLog) -> None:
    role = rng.choice(sorted(workers))
    t0 = time.monotonic()
    procs.kill_and_start(role, signal.SIGKILL)
    while not workers_ready(urls) and time.monotonic() - t0 < 120:
        time.sleep(0.2)
    log.recovery_seconds.append(time.monotonic() - t0)
    log.events.append(f"kill -9 {role}")


def inject(stop: threading.Event, procs: Processes, workers: dict[str, list[str]],
           urls: list[str], exchange_url: str, every: float, outage_seconds: float,
           restart_broker: Callable[[], None] | None, seed: int, kills: int,
           log: FaultLog) -> None:
    """A kill, an exchange outage, a broker restart, then more kills, `every` s apart. The
    planned faults all happen; more kills follow while the load is still running."""
    rng = random.Random(seed)
    plan = ["kill", "outage", "broker", *["kill"] * max(0, kills - 1)]
    while plan or not stop.is_set():
        time.sleep(every)
        step = plan.pop(0) if plan else "kill"
        if step == "outage" and outage_seconds:
            httpx.post(f"{exchange_url}/admin/outage", json={"seconds": outage_seconds})
            log.events.append(f"exchange outage {outage_seconds:.0f}s")
        elif step == "broker" and restart_broker is not None:
            t0 = time.monotonic()
            restart_broker()
            log.events.append("broker restart")
            log.recovery_seconds.append(time.monotonic() - t0)
        elif step == "kill":
            kill_and_restart_worker(procs, workers, urls, rng, log)
