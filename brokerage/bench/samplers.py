"""What the bench watches while it runs, every half second: each process's CPU (% of one
core) and resident memory, and each consumer group's lag (messages not yet committed)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

from brokerage.security.clientconf import client_conf


@dataclass
class Sample:
    t: float
    cpu: dict[str, float] = field(default_factory=dict)  # role -> % of one core
    rss_mb: dict[str, float] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)  # group label -> messages


class GroupLag:
    """Committed lag of one group over some topics, with one admin client kept open."""

    def __init__(self, admin: AdminClient, group: str, topics: list[str]) -> None:
        meta = admin.list_topics(timeout=10)
        self.admin, self.group = admin, group
        self.tps = [TopicPartition(t, p) for t in topics for p in meta.topics[t].partitions]

    def __call__(self) -> int:
        ends = self.admin.list_offsets({tp: OffsetSpec.latest() for tp in self.tps})
        req = [ConsumerGroupTopicPartitions(self.group, self.tps)]
        done = self.admin.list_consumer_group_offsets(req)[self.group].result(timeout=5)
        at = {(tp.topic, tp.partition): tp.offset for tp in done.topic_partitions}
        total = 0
        for tp, fut in ends.items():
            high = fut.result(timeout=5).offset
            total += high - max(0, at.get((tp.topic, tp.partition), 0))
        return total


class Sampler(threading.Thread):
    def __init__(self, bootstrap: str, every: float = 0.5) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.admin = AdminClient(client_conf(bootstrap))
        self.every = every
        self.samples: list[Sample] = []
        self._procs: dict[str, psutil.Process] = {}
        self._lags: dict[str, GroupLag] = {}
        self._lock = threading.Lock()
        self._halt = threading.Event()

    def watch(self, role: str, pid: int) -> None:
        with self._lock:
            try:
                self._procs[role] = p = psutil.Process(pid)
                p.cpu_percent(None)  # the first call only starts the clock
            except psutil.Error:
                pass

    def unwatch(self, *roles: str) -> None:
        with self._lock:
            for r in roles:
                self._procs.pop(r, None)
                self._lags.pop(r, None)

    def watch_group(self, label: str, group: str, topics: list[str]) -> None:
        lag = GroupLag(self.admin, group, topics)
        with self._lock:
            self._lags[label] = lag

    def run(self) -> None:
        while not self._halt.wait(self.every):
            s = Sample(time.monotonic())
            with self._lock:
                procs, lags = dict(self._procs), dict(self._lags)
            for role, p in procs.items():
                try:
                    with p.oneshot():
                        s.cpu[role] = p.cpu_percent(None)
                        s.rss_mb[role] = p.memory_info().rss / 2**20
                except psutil.Error:
                    pass
            for label, lag in lags.items():
                try:
                    s.lag[label] = lag()
                except Exception:  # a probe that failed is a gap in the plot, not an error
                    pass
            self.samples.append(s)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)
        self._lags.clear()  # their admin client would keep calling a broker about to stop

    def between(self, t0: float, t1: float) -> list[Sample]:
        return [s for s in self.samples if t0 <= s.t <= t1]


def summarise(samples: list[Sample]) -> dict[str, Any]:
    """Per role: mean and max CPU %, max RSS; per group: max lag."""
    roles = sorted({r for s in samples for r in s.cpu})
    cpu = {}
    for r in roles:
        v = [s.cpu[r] for s in samples if r in s.cpu]
        m = [s.rss_mb[r] for s in samples if r in s.rss_mb]
        cpu[r] = {"cpu_mean_pct": sum(v) / len(v), "cpu_max_pct": max(v),
                  "rss_max_mb": max(m) if m else 0.0}
    groups = sorted({g for s in samples for g in s.lag})
    lag = {g: max(s.lag[g] for s in samples if g in s.lag) for g in groups}
    return {"processes": cpu, "lag_max": lag}
