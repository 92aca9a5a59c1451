"""What the bench watches while it runs, every half second: each process's CPU (% of one
core) and resident memory, and each consumer group's lag (messages not yet committed)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from confluent_kafka import Consumer, TopicPartition

from brokerage.adapters.kafka import consumer


@dataclass
class Sample:
    t: float
    cpu: dict[str, float] = field(default_factory=dict)  # role -> % of one core
    rss_mb: dict[str, float] = field(default_factory=dict)
    lag: dict[str, int] = field(default_factory=dict)  # group label -> messages
    cpu_s: dict[str, float] = field(default_factory=dict)  # role -> CPU seconds so far


class GroupLag:
    """Committed lag of one group over some topics, read through a consumer that carries the
    group's id but never subscribes (so it never joins). Only the sampler thread calls it."""

    def __init__(self, bootstrap: str, group: str, topics: list[str]) -> None:
        self.bootstrap, self.group, self.topics = bootstrap, group, topics
        self._c: Consumer | None = None
        self._tps: list[TopicPartition] = []

    def __call__(self) -> int:
        if self._c is None:
            self._c = consumer(self.bootstrap, self.group)
            meta = self._c.list_topics(timeout=10)
            self._tps = [TopicPartition(t, p) for t in self.topics
                         for p in meta.topics[t].partitions]
        committed = self._c.committed(self._tps, timeout=5)
        ends = _offsets(self._c, committed, -1)
        starts = _offsets(self._c, [t for t in committed if t.offset < 0], -2)
        return sum(ends[(t.topic, t.partition)] - (
            t.offset if t.offset >= 0 else starts[(t.topic, t.partition)]) for t in committed)

    def close(self) -> None:
        if self._c is not None:
            self._c.close()
            self._c = None


def _offsets(c: Consumer, tps: list[TopicPartition], which: int) -> dict[tuple[str, int], int]:
    """The end (-1) or start (-2) offsets of partitions in one ListOffsets request, not one
    per partition: those were ~130 requests/s on the broker being measured."""
    if not tps:
        return {}
    return {(t.topic, t.partition): t.offset for t in c.offsets_for_times(
        [TopicPartition(t.topic, t.partition, which) for t in tps], timeout=5)}


class Sampler(threading.Thread):
    def __init__(self, bootstrap: str, every: float = 0.5) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.bootstrap = bootstrap
        self.every = every
        self.samples: list[Sample] = []
        self._procs: dict[str, psutil.Process] = {}
        self._lags: dict[str, GroupLag] = {}
        self._retired: list[GroupLag] = []  # closed by the sampler thread, their only user
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
                if r in self._lags:
                    self._retired.append(self._lags.pop(r))

    def watch_group(self, label: str, group: str, topics: list[str]) -> None:
        with self._lock:
            self._lags[label] = GroupLag(self.bootstrap, group, topics)

    def run(self) -> None:
        while not self._halt.wait(self.every):
            s = Sample(time.monotonic())
            with self._lock:
                procs, lags = dict(self._procs), dict(self._lags)
                retired, self._retired = self._retired, []
            for lag in retired:
                lag.close()
            for role, p in procs.items():
                try:
                    with p.oneshot():
                        s.cpu[role] = p.cpu_percent(None)
                        times = p.cpu_times()
                        s.cpu_s[role] = times.user + times.system
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
        """Stop sampling and close every probe (before the broker goes away)."""
        self._halt.set()
        self.join(10)
        for lag in [*self._lags.values(), *self._retired]:
            lag.close()
        self._lags.clear()
        self._retired.clear()

    def between(self, t0: float, t1: float) -> list[Sample]:
        return [s for s in self.samples if t0 <= s.t <= t1]


def cpu_seconds(samples: list[Sample], t0: float, t1: float) -> dict[str, float]:
    """CPU seconds each role used from t0 to t1: its first and last sample inside them (a
    stack stops being watched before the run ends); a role whose count went back (a
    restarted process) is left out."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    for s in samples:
        if t0 <= s.t <= t1:
            for role, v in s.cpu_s.items():
                first.setdefault(role, v)
                last[role] = v
    return {r: last[r] - first[r] for r in sorted(first) if last[r] >= first[r]}


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
