"""Per-event lines (one per request, order, fill): the hottest log path of every service.

`EventLog.info` writes the very line logging would, straight into the service's buffered
handler: no LogRecord, no handler chain. In a busy worker those lines took ~17 % of the CPU
per input (`scripts/bench_worker.py`, events on vs off). It takes the short path only while
that handler is the sole one listening, its formatter JSON and its filters ours; otherwise
(pytest's caplog, a text format, a library's handler) the line goes through logging as
before, so what is written never depends on the path.
"""

from __future__ import annotations

import logging
import time

from . import trace
from .loghandlers import BufferedStderr, Repeats, TraceSample
from .logs import EVENTS, JsonFormatter


class EventLog:
    def __init__(self, name: str = EVENTS) -> None:
        self.logger = logging.getLogger(name)

    def enabled(self) -> bool:
        """Whether info lines are written at all (build costly messages only then)."""
        return self.logger.isEnabledFor(logging.INFO)

    def info(self, msg: str, *args: object, ctx: trace.TraceContext | None = None,
             keep: bool = False, **ids: str | None) -> None:
        """`msg % args`, with `ctx`'s trace ids and `ids` over those of the work in hand;
        `keep` passes any sampling (a refusal)."""
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        if ctx is not None:
            ids["trace_id"], ids["span_id"] = ctx.trace_id, ctx.span_id
        route = _route(logger)
        if route is None:
            logger.info(msg, *args, extra={**ids, "keep": keep})
            return
        handler, formatter, samples = route
        bound = trace.fields()
        if not keep and samples:  # as the logger's TraceSample filters decide
            tid = ids.get("trace_id") or bound.get("trace_id")
            if not all(f.admits(tid) for f in samples):
                return
        handler.write_line(formatter.line(time.time(), "info", logger.name,
                                          msg % args if args else msg, ids, bound))

    def warning(self, msg: str, *args: object, **ids: str | None) -> None:
        """Warnings are rare and always written: logging's own path."""
        self.logger.warning(msg, *args, extra=ids)


def _route(logger: logging.Logger
           ) -> tuple[BufferedStderr, JsonFormatter, list[TraceSample]] | None:
    """The handler, formatter and sampling filters of the short path, or None if anything
    but our own buffered JSON handler and filters would see the line."""
    samples = [f for f in logger.filters if isinstance(f, TraceSample)]
    if len(samples) != len(logger.filters):
        return None
    found: logging.Handler | None = None
    node: logging.Logger | None = logger
    while node is not None:
        for h in node.handlers:
            if found is not None:
                return None
            found = h
        if not node.propagate:
            break
        node = node.parent
    if (not isinstance(found, BufferedStderr) or found.level > logging.INFO
            or not isinstance(found.formatter, JsonFormatter)
            or not all(isinstance(f, Repeats) for f in found.filters)):
        return None  # Repeats only holds back chatty libraries' lines, never ours
    return found, found.formatter, samples
