"""One load generator and one collector (child processes) over an input and an output topic,
driving phases on command: each phase sends a range of the mix, open or closed loop, then
waits until every request of it is answered (or a timeout)."""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from . import collect, load
from .mix import Request

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class Phase:
    name: str
    start: int  # range of the pipeline's request list
    end: int
    rate: float | None  # open loop: offered requests/s; None: closed loop
    window: int
    times: list[float]  # send time of each request of the range
    sent_at: float  # when the last request was handed to the producer
    drained_at: float  # when the last answer arrived (or the wait gave up)


@dataclass
class Collected:
    answers: collect.Answers
    fills: collect.Answers
    outcomes: dict[str, int] = field(default_factory=dict)


class Pipeline:
    def __init__(self, bootstrap: str, src: str, dst: str, group: str, echo: bool,
                 reqs: list[Request], linger_ms: int = 1,
                 conf: dict[str, str] | None = None,
                 also_alive: Callable[[], None] | None = None) -> None:
        """`conf`: the children's Kafka security settings (spawned, they inherit none);
        `also_alive`: raises if a process the phases depend on (the pass-through) died."""
        self.also_alive = also_alive
        ctx = mp.get_context("spawn")  # never fork a process that runs librdkafka threads
        self.reqs = reqs
        self.answered, self.filled, self.sent = (ctx.RawValue("q", 0) for _ in range(3))
        self._stop = ctx.Event()
        self._gen, gen_end = ctx.Pipe()
        self._col, col_end = ctx.Pipe()
        msgs = [(r.key, r.value) for r in reqs]
        self.generator = ctx.Process(target=load.serve, daemon=True, args=(
            gen_end, bootstrap, src, msgs, self.answered, self.sent, linger_ms, conf or {}))
        self.collector = ctx.Process(target=collect.serve, daemon=True, args=(
            col_end, bootstrap, dst, group, echo, self.answered, self.filled, self._stop,
            conf or {}))

    def __enter__(self) -> Pipeline:
        self.collector.start()
        self.generator.start()
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        for p in (self.generator, self.collector):
            if p.is_alive():
                p.terminate()
            p.join(10)

    def pids(self) -> dict[str, int]:
        return {"bench-generator": self.generator.pid or 0,
                "bench-collector": self.collector.pid or 0}

    def phase(self, name: str, start: int, end: int, rate: float | None, window: int,
              progress: Progress, drain_timeout: float) -> Phase:
        n = end - start
        base = self.answered.value
        self._gen.send((start, end, rate, window))
        while not self._gen.poll(0.2):
            self._alive()
            progress(name, self.answered.value - base, n)
        times, sent_at = self._gen.recv()
        deadline = time.monotonic() + drain_timeout
        while self.answered.value - base < n and time.monotonic() < deadline:
            self._alive()
            progress(name, self.answered.value - base, n)
            time.sleep(0.05)
        progress(name, self.answered.value - base, n)
        return Phase(name, start, end, rate, window, times, sent_at, time.monotonic())

    def close(self) -> Collected:
        """Stop the generator and the collector; what the collector saw."""
        self._gen.send(None)
        self.generator.join(60)
        self._stop.set()
        if not self._col.poll(60):
            raise RuntimeError("the bench's collector did not report")
        answers, fills, outcomes = self._col.recv()
        self.collector.join(30)
        return Collected(answers, fills, outcomes)

    def _alive(self) -> None:
        for p in (self.generator, self.collector):
            if not p.is_alive():
                raise RuntimeError(f"bench child process {p.pid} exited with {p.exitcode}")
        if self.also_alive:
            self.also_alive()
