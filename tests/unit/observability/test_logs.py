"""JSON log lines: one object per line, the same keys always, ids from the work in hand or
from `extra`, and no secret ever written."""

from __future__ import annotations

import io
import json
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr

from brokerage.config import Settings
from brokerage.observability import logs, process, redact, trace

KEYS = {"time", "level", "service", "logger", "message", "trace_id", "span_id", "request_id",
        "trade_id", "trader_id"}


def attach(handler: logging.Handler, name: str) -> logging.Logger:
    """`name` logs JSON lines to `handler` alone."""
    handler.setFormatter(logs.JsonFormatter("worker"))
    log = logging.getLogger(name)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    log = attach(handler, "test.observability")
    try:
        yield out
    finally:
        log.removeHandler(handler)


def records(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_line_has_the_schema_with_ids_of_the_work_in_hand(lines: io.StringIO) -> None:
    log = logging.getLogger("test.observability")
    log.info("before")
    ctx = trace.new()
    with trace.bound(ctx, trader_id="alice"):
        log.info("applied %s", "x", extra={"trade_id": "alice.1"})
    first, second = records(lines)
    assert set(first) == KEYS and set(second) == KEYS
    assert first["trace_id"] is None and first["service"] == "worker"
    assert second["message"] == "applied x" and second["level"] == "info"
    assert (second["trace_id"], second["span_id"]) == (ctx.trace_id, ctx.span_id)
    assert (second["trader_id"], second["trade_id"]) == ("alice", "alice.1")
    assert str(second["time"]).endswith("Z")



def test_odd_text_still_makes_one_json_line(lines: io.StringIO) -> None:
    log = logging.getLogger("test.observability")
    log.info("caf\u00e9 \"quoted\"\nnext line")
    log.info("a lone surrogate \udc80 from bytes decoded with surrogateescape")
    first, second = records(lines)
    assert first["message"] == "caf\u00e9 \"quoted\"\nnext line"
    assert second["message"].startswith("a lone surrogate ")
    assert len(lines.getvalue().splitlines()) == 2

def test_a_traceback_is_one_line_with_an_error_field(lines: io.StringIO) -> None:
    try:
        raise ValueError("password=hunter2 went wrong")
    except ValueError:
        logging.getLogger("test.observability").exception("failed")
    (rec,) = records(lines)
    assert "ValueError" in str(rec["error"]) and "hunter2" not in str(rec["error"])


@pytest.mark.parametrize("text, secret", [
    ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
    ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl", "c2lnbmF0dXJl"),
    ("dsn postgresql://brokerage:s3cr3t@127.0.0.1:5433/db", "s3cr3t"),
    ("host=x password=s3cr3t dbname=y", "s3cr3t"),
    ('{"secret": "abcd1234"}', "abcd1234"),
    ("sasl.password=topsecret", "topsecret"),
    ("APCA-API-SECRET-KEY: k3y", "k3y"),
])
def test_patterns_of_secrets_are_masked(text: str, secret: str) -> None:
    assert secret not in redact.redact(text)
    assert redact.MASK in redact.redact(text)


_WORDISH = st.sampled_from(["bearer", "Basic", "EYJ", "eyJ", "://", ":/", "PassW", "pass",
                            "secret", "SECRE", "toKen", "api_key", "API-KEY", "apikey",
                            "api key", "a", " ", "=", "\u212a", "\u0131", "\u017f", "é"])


@given(st.one_of(st.text(max_size=60), st.lists(_WORDISH, max_size=8).map("".join)))
def test_the_quick_trigger_answers_as_the_regex_does(text: str) -> None:
    # redact skips its patterns unless the line holds one of their words
    assert redact.triggered(text) == (redact._TRIGGER.search(text) is not None)


def test_secret_values_from_the_settings_are_masked(lines: io.StringIO) -> None:
    s = Settings(auth_secret=SecretStr("the-signing-key-0123456789"),
                 postgres_dsn=SecretStr("postgresql://u:pgpass99@h/db"))
    redact.register(process.secrets(s))
    logging.getLogger("test.observability").info("key is the-signing-key-0123456789, pgpass99")
    (rec,) = records(lines)
    assert "the-signing-key" not in str(rec["message"]) and "pgpass99" not in str(rec["message"])


def test_text_format_is_redacted_and_names_the_trace() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logs.TextFormatter("api"))
    rec = logging.LogRecord("x", logging.INFO, __file__, 1, "Bearer abcdef", None, None)
    with trace.bound(trace.new(), trader_id="bob"):
        line = handler.format(rec)
    assert "abcdef" not in line and "trader_id=bob" in line and "trace_id=" in line


def test_event_sampling_keeps_whole_traces_refusals_and_warnings(lines: io.StringIO) -> None:
    log = logging.getLogger("test.observability")
    sample = logs.TraceSample(0.25)
    log.addFilter(sample)
    try:
        ctxs = [trace.new() for _ in range(400)]
        for ctx in ctxs:
            with trace.bound(ctx):
                log.info("request")
                log.info("fill")  # the same trace, later: the same decision
        with trace.bound(trace.TraceContext("f" * 32, "1" * 16)):  # above any cut below 1
            log.info("refused", extra={"keep": True})
            log.warning("odd")
            log.info("dropped")
        log.info("no trace at all")
    finally:
        log.removeFilter(sample)
    got = records(lines)
    kept = [r["trace_id"] for r in got if r["message"] == "request"]
    assert kept == [r["trace_id"] for r in got if r["message"] == "fill"]
    assert 40 < len(kept) < 160  # ~100 of 400: a share, neither none nor all
    assert [r["message"] for r in got[-2:]] == ["refused", "odd"]


def test_event_sampling_is_set_up_from_the_settings() -> None:
    events = logging.getLogger(logs.EVENTS)
    process.start("verify", Settings(log_events_sample=0.5))
    assert [f.below for f in events.filters if isinstance(f, logs.TraceSample)] == [2**31]
    process.start("verify", Settings())  # the default keeps every line: no filter
    assert not [f for f in events.filters if isinstance(f, logs.TraceSample)]


def test_buffered_stderr_writes_warnings_at_once_and_the_rest_by_its_flush(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "stderr"
    with target.open("w") as fake_stderr:
        monkeypatch.setattr(sys, "stderr", fake_stderr)
        handler = logs.BufferedStderr(every=3600)  # its own flush never comes in this test
        log = attach(handler, "test.observability.buffered")
        try:
            log.info("buffered")
            assert target.read_text() == ""  # still in the buffer
            log.warning("urgent")
            assert [json.loads(x)["message"] for x in target.read_text().splitlines()] == [
                "buffered", "urgent"]  # in order, at once
            log.info("last")
        finally:
            log.removeHandler(handler)
            handler.close()  # as logging.shutdown does at exit
        assert json.loads(target.read_text().splitlines()[-1])["message"] == "last"


def test_buffered_stderr_flushes_on_its_own(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "stderr"
    with target.open("w") as fake_stderr:
        monkeypatch.setattr(sys, "stderr", fake_stderr)
        handler = logs.BufferedStderr(every=0.05)
        handler.setFormatter(logs.JsonFormatter("worker"))
        try:
            handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "tick", None, None))
            deadline = time.monotonic() + 30  # a bound, not a timing assertion
            while "tick" not in target.read_text() and time.monotonic() < deadline:
                time.sleep(0.02)
            assert "tick" in target.read_text()
        finally:
            handler.close()


def test_a_chatty_librarys_repeats_are_shown_once_per_period_with_a_count() -> None:
    now = [0.0]
    repeats = logs.Repeats(every=5.0, clock=lambda: now[0])

    def rec(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, ("127.0.0.1:9",), None)

    shown = [repeats.filter(rec("aiokafka.conn", "Unable connect to %s")) for _ in range(1000)]
    assert shown.count(True) == 1 and shown[0]
    assert repeats.filter(rec("aiokafka.conn", "another message %s"))  # its own count
    other = logging.LogRecord("librdkafka", logging.WARNING, __file__, 1, "%s [%s] %s",
                              ("FAIL", "rdkafka#1", "connection refused"), None)
    same_template = logging.LogRecord("librdkafka", logging.WARNING, __file__, 1, "%s [%s] %s",
                                      ("REQTMOUT", "rdkafka#1", "timed out"), None)
    assert repeats.filter(other) and repeats.filter(same_template)  # different messages
    assert all(repeats.filter(rec("brokerage.worker", "Unable connect to %s")) for _ in range(3))
    now[0] = 6.0
    later = rec("aiokafka.conn", "Unable connect to %s")
    assert repeats.filter(later)
    assert later.getMessage() == "Unable connect to 127.0.0.1:9 [999 more like this in 6 s]"
