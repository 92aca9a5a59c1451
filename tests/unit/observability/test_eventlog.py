"""Per-event lines on the short path: the same line logging writes, the same sampling, and
logging's own path whenever anything else listens."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from brokerage.observability import eventlog, logs, trace

NAME = "test.eventlog"


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """NAME logs to a BufferedStderr (JSON) of its own, as a service's events logger does."""
    target = tmp_path / "stderr"
    with target.open("w") as fake_stderr:
        monkeypatch.setattr(sys, "stderr", fake_stderr)
        handler = logs.BufferedStderr(every=3600)
        handler.setFormatter(logs.JsonFormatter("worker"))
        handler.addFilter(logs.Repeats())
        log = logging.getLogger(NAME)
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
        try:
            yield target
        finally:
            log.removeHandler(handler)
            handler.close()


@contextmanager
def alone(log: logging.Logger) -> Iterator[None]:
    """Only our handler on `log` within, as in a service: pytest attaches its capture
    handlers to every non-propagating logger for each test's call."""
    theirs = [h for h in log.handlers if not isinstance(h, logs.BufferedStderr)]
    for h in theirs:
        log.removeHandler(h)
    try:
        yield
    finally:
        for h in theirs:
            log.addHandler(h)


def lines(target: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in target.read_text().splitlines()]


def without_time(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v for k, v in r.items() if k != "time"} for r in rows]


def test_the_short_path_writes_the_line_logging_writes(out: Path) -> None:
    log, events = logging.getLogger(NAME), eventlog.EventLog(NAME)
    ctx, other = trace.new(), trace.new()
    with alone(log), trace.bound(ctx, trader_id="alice", request_id="r-0"):
        assert eventlog._route(log) is not None  # the short path is the one taken here
        events.info("order %s %s sent, password=hunter2", "new", "o-1", trade_id="alice.1")
        log.info("order %s %s sent, password=hunter2", "new", "o-1",
                 extra={"trade_id": "alice.1"})
        events.info("fill", ctx=other, trader_id="bob")
        log.info("fill", extra={"trace_id": other.trace_id, "span_id": other.span_id,
                                "trader_id": "bob"})
    logging.getLogger(NAME).handlers[0].flush()
    fast_1, slow_1, fast_2, slow_2 = lines(out)
    assert without_time([fast_1, fast_2]) == without_time([slow_1, slow_2])
    assert fast_1["trace_id"] == ctx.trace_id and fast_1["request_id"] == "r-0"
    assert fast_2["trace_id"] == other.trace_id and fast_2["trader_id"] == "bob"
    assert "hunter2" not in json.dumps(fast_1)  # redacted as on logging's path
    assert str(fast_1["time"]).endswith("Z") and len(str(fast_1["time"])) == 24


def test_another_listener_gets_the_line_through_logging(out: Path) -> None:
    log, events = logging.getLogger(NAME), eventlog.EventLog(NAME)
    seen = io.StringIO()
    extra = logging.StreamHandler(seen)
    with alone(log):
        log.addHandler(extra)  # someone else listens
        try:
            assert eventlog._route(log) is None
            events.info("request %s", "r-1", trade_id="t-1")
        finally:
            log.removeHandler(extra)
    log.handlers[0].flush()
    assert seen.getvalue() == "request r-1\n"
    assert [r["message"] for r in lines(out)] == ["request r-1"]


def test_sampling_on_the_short_path_keeps_what_the_filter_keeps(out: Path) -> None:
    log, events = logging.getLogger(NAME), eventlog.EventLog(NAME)
    sample = logs.TraceSample(0.25)
    log.addFilter(sample)
    ctxs = [trace.new() for _ in range(300)]
    try:
        with alone(log):
            assert eventlog._route(log) is not None
            for ctx in ctxs:
                events.info("request", ctx=ctx)
            top = trace.TraceContext("f" * 32, "1" * 16)  # above any cut below 1
            events.info("refused", ctx=top, keep=True)
            events.info("dropped", ctx=top)
            events.info("no trace at all")
    finally:
        log.removeFilter(sample)
    log.handlers[0].flush()
    got = lines(out)
    expected = [c.trace_id for c in ctxs if int(c.trace_id[-8:], 16) < sample.below]
    assert [r["trace_id"] for r in got if r["message"] == "request"] == expected
    assert 30 < len(expected) < 120  # a share: neither none nor all
    assert [r["message"] for r in got if r["message"] != "request"] == ["refused"]


def test_nothing_is_built_or_written_below_the_level(out: Path) -> None:
    log, events = logging.getLogger(NAME), eventlog.EventLog(NAME)
    log.setLevel(logging.WARNING)  # BROKERAGE_LOG_EVENTS=false
    assert not events.enabled()
    with alone(log):
        events.info("muted %s", "x")
        events.warning("odd %s", "y", trade_id="t-9")
    log.handlers[0].flush()
    assert [(r["message"], r["trade_id"]) for r in lines(out)] == [("odd y", "t-9")]
