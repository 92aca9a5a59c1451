"""Handlers and filters of our log lines: a buffered stderr for services, a limit on chatty
client libraries' repeats, and trace-based sampling of per-event lines."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable

from . import trace


class BufferedStderr(logging.StreamHandler):
    """stderr through a 64 KB buffer, for services: a busy worker wrote its per-event lines
    with a write() each. Flushed every `every` seconds by a daemon thread, at once for a
    warning or worse, and at exit (logging.shutdown); a kill -9 loses at most `every`
    seconds of info lines."""

    def __init__(self, every: float = 0.2) -> None:
        fd = sys.stderr.fileno()
        super().__init__(open(fd, "w", buffering=65_536, encoding="utf-8",  # noqa: SIM115
                              errors="backslashreplace", closefd=False))
        self._closed = threading.Event()
        threading.Thread(target=self._flush_every, args=(every,), name="log-flush",
                         daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def write_line(self, line: str) -> None:
        """An info line already formatted (eventlog's short path)."""
        try:
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line + self.terminator)
        except Exception:  # as emit: a log line never takes the caller down
            pass

    def _flush_every(self, every: float) -> None:
        while not self._closed.wait(every):
            self.flush()

    def close(self) -> None:
        self._closed.set()
        self.flush()
        super().close()


class Repeats(logging.Filter):
    """At most one line per message per `every` seconds from chatty client
    libraries: aiokafka logs each failed reconnect, ~30,000 lines per broker restart. The
    next line let through says how many like it were not shown."""

    def __init__(self, prefixes: tuple[str, ...] = ("aiokafka", "librdkafka"),
                 every: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.prefixes, self.every, self.clock = prefixes, every, clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}  # -> (shown at, hidden)

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True
        # The whole message, not its template: confluent-kafka logs every librdkafka line
        # through one template ("%s [%s] %s").
        text = record.getMessage()
        key, now = (record.name, text), self.clock()
        shown, hidden = self._seen.get(key, (-self.every, 0))
        if now - shown < self.every:
            self._seen[key] = (shown, hidden + 1)
            return False
        if len(self._seen) > 1_000:  # keep the table small
            self._seen.clear()
        self._seen[key] = (now, 0)
        if hidden:
            record.msg, record.args = (
                f"{text} [{hidden} more like this in {now - shown:.0f} s]", None)
        return True


class TraceSample(logging.Filter):
    """Keep a per-event line if its trace is in the sample. The decision is a function of the
    trace id, so a sampled trade is logged whole, in every process it crosses; warnings and
    lines marked `extra={"keep": True}` (refusals) always pass."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.below = int(max(0.0, min(1.0, rate)) * 2**32)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.__dict__.get("keep"):
            return True
        return self.admits(record.__dict__.get("trace_id") or trace.fields().get("trace_id"))

    def admits(self, trace_id: str | None) -> bool:
        """Whether the trace is in the sample (eventlog's short path asks this too)."""
        # W3C: the right-most bytes of a trace id are random, made for sampling decisions.
        return trace_id is not None and int(trace_id[-8:], 16) < self.below
