"""Structured logs: one JSON object per line with one schema in every process.

    {"time", "level", "service", "logger", "message",
     "trace_id", "span_id", "request_id", "trade_id", "trader_id", ["error"]}

The ids come from the work in hand (trace.bound) or from `extra=`; absent ones are null, so
every line has every key. Secrets are redacted from the message and from tracebacks.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from types import TracebackType
from typing import Any

import orjson

from . import redact, trace
from .loghandlers import BufferedStderr, Repeats, TraceSample

__all__ = ["BufferedStderr", "JsonFormatter", "Repeats", "TextFormatter", "TraceSample",
           "setup"]
FIELDS = ("trace_id", "span_id", "request_id", "trade_id", "trader_id")
# Per-event lines (one per request, order, fill) log here: operators can mute them alone.
EVENTS = "brokerage.events"
_NOISY = {"httpx": logging.WARNING, "httpcore": logging.WARNING,  # a line per call is noise
          "uvicorn.access": logging.WARNING}  # the API writes its own access line


class JsonFormatter(logging.Formatter):
    # Per-event lines make this a hot path: orjson (json's encoder took 4-8 µs a line, ~5 %
    # of a busy worker), and the time's seconds part formatted once per second.

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service
        self._clock = (-1, "")  # (second, its text): one pair, so threads never mix them

    def format(self, record: logging.LogRecord) -> str:
        error = None
        if record.exc_info:
            error = self.formatException(record.exc_info)
        elif record.stack_info:
            error = record.stack_info
        return self.line(record.created, record.levelname.lower(), record.name,
                         record.getMessage(), record.__dict__, trace.fields(), error)

    def line(self, created: float, level: str, name: str, message: str,
             attrs: dict[str, Any], bound: dict[str, str], error: str | None = None) -> str:
        """One line; an id in `attrs` (a record's extras) wins over the `bound` one."""
        second, stamp = self._clock
        if int(created) != second:
            second = int(created)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._clock = (second, stamp)
        out: dict[str, Any] = {
            "time": f"{stamp}.{int((created - second) * 1000):03d}Z",
            "level": level, "service": self.service, "logger": name,
            "message": redact.redact(message),
        }
        for key in FIELDS:
            value = attrs.get(key)
            out[key] = str(value) if value else bound.get(key)
        if error is not None:
            out["error"] = redact.redact(error)
        try:
            return orjson.dumps(out, default=str).decode()
        except orjson.JSONEncodeError:  # e.g. a lone surrogate, which orjson refuses
            return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For a person at a terminal: the same facts, redacted, on one readable line."""

    def __init__(self, service: str) -> None:
        super().__init__("%(asctime)s %(levelname)s " + service + " %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        ids = {**trace.fields(), **{k: record.__dict__[k] for k in FIELDS
                                    if record.__dict__.get(k)}}
        line = super().format(record)
        if ids:
            line += " [" + " ".join(f"{k}={v}" for k, v in ids.items() if k != "span_id") + "]"
        return redact.redact(line)


def setup(service: str, *, fmt: str = "json", level: str = "INFO", events: bool = True,
          events_sample: float = 1.0, secrets: tuple[str | None, ...] = (),
          hooks: bool = True, buffered: bool = False) -> None:
    """Make the root logger write `fmt` lines to stderr; idempotent. With `hooks`, uncaught
    exceptions and warnings are log lines too (for processes, not in-process callers).
    `events_sample` (0..1) keeps that share of traces' per-event lines; `buffered`: see
    BufferedStderr (services)."""
    redact.register(secrets)
    # No line shows where it was logged from, which thread or process: skip finding out
    # (the logging HOWTO's "Optimization"; ~2 µs a line).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = _stderr_handler(buffered)
    handler.addFilter(Repeats())
    handler.setFormatter(JsonFormatter(service) if fmt == "json" else TextFormatter(service))
    handler.set_name("brokerage")
    root = logging.getLogger()
    for old in [h for h in root.handlers  # ours, or basicConfig's; not pytest's capture
                if h.get_name() == "brokerage" or type(h) is logging.StreamHandler]:
        root.removeHandler(old)
        if isinstance(old, BufferedStderr):
            old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name, lvl in _NOISY.items():
        logging.getLogger(name).setLevel(max(lvl, root.level))
    events_log = logging.getLogger(EVENTS)
    events_log.setLevel(root.level if events else logging.WARNING)
    for f in [f for f in events_log.filters if isinstance(f, TraceSample)]:
        events_log.removeFilter(f)
    if events and events_sample < 1.0:
        events_log.addFilter(TraceSample(events_sample))
    if hooks:
        logging.captureWarnings(True)
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_thread_uncaught


def _stderr_handler(buffered: bool) -> logging.Handler:
    if buffered:
        try:
            return BufferedStderr()
        except (AttributeError, OSError, ValueError):  # stderr is no file (captured)
            pass
    return logging.StreamHandler(sys.stderr)


def _log_uncaught(kind: type[BaseException], exc: BaseException,
                  tb: TracebackType | None) -> None:
    logging.getLogger("brokerage").critical("uncaught exception", exc_info=(kind, exc, tb))


def _log_thread_uncaught(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None and not isinstance(args.exc_value, SystemExit):
        logging.getLogger("brokerage").error(
            "uncaught exception in thread %s", args.thread.name if args.thread else "?",
            exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
