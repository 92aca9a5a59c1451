"""The engine behind an async front: durable first, then applied, then answered.

State changes go through one writer task: it takes every instruction queued since its last
turn, journals them with a single fsync (group commit), applies them in that order and
only then answers, so throughput does not pay one fsync per order.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from .engine import Engine
from .journal import Journal
from .protocol import Answer, Instr, Report

log = logging.getLogger(__name__)
Pending = tuple[Instr, "asyncio.Future[Answer]"]


class Venue:
    """The engine behind an async front: journal first (group commit), then apply."""

    def __init__(self, engine: Engine, journal: Journal | None = None,
                 compact_every: int = 500_000, on_fatal: Callable[[], None] | None = None,
                 clock_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000) -> None:
        self.engine, self.journal, self.compact_every = engine, journal, compact_every
        self.on_fatal, self.clock_ms = on_fatal, clock_ms
        # New at every process start, on /healthz and /executions: a client that sees it
        # change knows the venue restarted (and may have lost or rolled back state).
        self.incarnation = uuid.uuid4().hex
        self.closing = False
        self.failed: BaseException | None = None  # the journal failed: the process must stop
        self._queue: list[Pending] = []
        self._inflight: dict[str, int] = {}  # ids queued or being journaled
        self._busy = False
        self._wake = asyncio.Event()
        self._changed = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None

    async def execute(self, i: Instr) -> Answer:
        answer = self.submit(i)
        return await answer if isinstance(answer, asyncio.Future) else answer

    def submit(self, i: Instr) -> Answer | asyncio.Future[Answer]:
        """`execute` without awaiting: the answer, or its future once journaled. Queued at
        once, so instructions submitted one after another keep their order (a batch submits
        all its items without a task each)."""
        if i.expire_ms is not None and i.at_ms is None:
            i.at_ms = self.clock_ms()  # journaled with it: a replay decides the same
        early = self.engine.precheck(i)
        if early is not None and not (early[0] == 404 and i.orig in self._inflight):
            return early  # (a 404 for an order still being journaled is decided at apply)
        if self.failed is not None or self.closing:
            return 503, {"error": "venue stopping"}
        if self.journal is None:
            answer = self.engine.apply(i)
            self._notify()
            return answer
        fut: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._queue.append((i, fut))
        self._inflight[i.id] = self._inflight.get(i.id, 0) + 1
        self._wake.set()
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_loop())
        return fut

    async def _write_loop(self) -> None:
        journal = self.journal
        assert journal is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._queue = self._queue, []
            if not batch:
                continue
            self._busy = True
            try:
                await loop.run_in_executor(None, journal.append, [i for i, _ in batch])
                answers = [self.engine.apply(i) for i, _ in batch]
                if self.compact_every and journal.since_compact >= self.compact_every:
                    journal.compact(self.engine.to_state())
            except Exception as exc:  # memory and disk may now disagree: stop for good
                log.exception("venue: journal or engine failure, stopping")
                self.failed = exc
                for _, f in batch + self._queue:
                    if not f.done():
                        f.set_result((503, {"error": "venue stopping"}))
                if self.on_fatal is not None:
                    self.on_fatal()
                return
            finally:
                self._busy = False
            for (i, f), a in zip(batch, answers, strict=True):
                n = self._inflight.pop(i.id, 1) - 1
                if n:
                    self._inflight[i.id] = n
                if not f.done():
                    f.set_result(a)
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_reports(self, after: int, limit: int, wait_ms: int) -> list[Report]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_ms / 1000
        while True:
            reports = self.engine.reports_after(after, limit)
            left = deadline - loop.time()
            if reports or left <= 0 or self.closing:
                return reports
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                pass

    def begin_close(self) -> None:
        """Wake the long-polls so the listener can stop quickly."""
        self.closing = True
        self._notify()

    async def close(self) -> None:
        self.begin_close()
        if self._writer is not None:
            while (self._queue or self._busy) and self.failed is None:
                await asyncio.sleep(0.01)  # let the last batch land before the snapshot
            self._writer.cancel()
        if self.journal is not None:
            if self.failed is None:
                self.journal.compact(self.engine.to_state())
            self.journal.close()
