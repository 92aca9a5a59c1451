"""The execution stream against a scripted venue that restarts and loses state: the connector
keeps its cursor (never republishing a seq), counts the regression once, alerts, and asks for
a new reconciliation on each new incarnation; the reconcile thread runs again when asked, for
an incarnation it has not reconciled yet."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import pytest
from prometheus_client import REGISTRY

from brokerage.codec import avro
from connectors.link import runner
from connectors.link.client import ExchangeUnavailable
from connectors.link.stream import pump
from connectors.link.watch import VenueWatch


def rep(seq: int) -> dict[str, Any]:
    return {"seq": seq, "exec_id": f"E{seq}", "exec_type": "NEW", "client_order_id": "al.1f:0",
            "last_qty": 0, "last_price": 0, "text": ""}


def page(incarnation: str, last: int, after: int) -> dict[str, Any]:
    return {"reports": [rep(s) for s in range(after + 1, last + 1)], "last_seq": last,
            "first_seq": 1, "incarnation": incarnation}


class Venue:
    """Answers /executions from a script of (incarnation, last_seq), then stops the pump."""

    def __init__(self, script: list[tuple[str, int]], stop: threading.Event) -> None:
        self.script, self.stop, self.afters = script, stop, []

    def call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        after = kw["params"]["after"]
        self.afters.append(after)
        if not self.script:
            self.stop.set()
            raise ExchangeUnavailable("end of the script")
        incarnation, last = self.script.pop(0)
        return page(incarnation, last, after)


class Out:
    def __init__(self) -> None:
        self.seqs: list[int] = []

    def produce(self, topic: str, value: bytes, **kw: Any) -> None:
        self.seqs.append(avro.decode("execution_report", value)["seq"])

    def settle(self, stop: threading.Event) -> bool:
        return True


class NoWorkers:
    """Settings whose reconciliation asks no worker."""

    exchange_close_utc = ""  # no daily close

    def worker_url_list(self) -> list[str]:
        return []


def count(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_a_venue_that_went_back_keeps_the_cursor(caplog: pytest.LogCaptureFixture) -> None:
    stop, out, restarts = threading.Event(), Out(), []
    # Serves 1-3; restarts having lost everything (0, then 2: still behind); passes 3 again.
    venue = Venue([("a", 3), ("a", 3), ("b", 0), ("b", 2), ("b", 5), ("b", 5)], stop)
    before = (count("brokerage_connector_seq_regressions_total"),
              count("brokerage_connector_exchange_restarts_total"))
    with caplog.at_level(logging.WARNING, "brokerage.connector"):
        pump(venue, out, "executions", 0, stop, wait_ms=0,  # type: ignore[arg-type]
             watch=VenueWatch(lambda: restarts.append(1)))
    assert out.seqs == [1, 2, 3, 4, 5]  # nothing at or below the cursor published again
    assert venue.afters == [0, 3, 3, 3, 3, 5, 5]
    assert (count("brokerage_connector_seq_regressions_total"),
            count("brokerage_connector_exchange_restarts_total")) == (before[0] + 1,
                                                                      before[1] + 1)
    assert restarts == [1]
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "went back" in errors[0]


def test_the_first_incarnation_and_an_unchanged_one_ask_for_nothing() -> None:
    asked: list[int] = []
    w = VenueWatch(lambda: asked.append(1))
    for _ in range(3):
        w.check({"reports": [], "last_seq": 7, "incarnation": "a"}, 7)
    assert asked == [] and not w.behind
    w.check({"reports": [], "last_seq": 7, "incarnation": "b"}, 7)
    assert asked == [1]


def test_reconciliation_runs_again_for_each_new_incarnation(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    runs: list[int] = []
    first, second = threading.Event(), threading.Event()

    def fake(*args: Any) -> list[Any]:
        runs.append(1)
        (second if len(runs) > 1 else first).set()
        return []

    monkeypatch.setattr(runner, "reconcile", fake)

    stop, again, venue = threading.Event(), threading.Event(), Healthz("a")
    t = threading.Thread(target=runner.reconcile_each_start,
                         args=(venue, NoWorkers(), stop, again))
    t.start()
    assert first.wait(10)
    venue.incarnation = "b"  # the venue restarted
    again.set()
    assert second.wait(10)
    stop.set()
    t.join(10)
    assert not t.is_alive() and len(runs) == 2 and not again.is_set()


def test_an_incarnation_already_reconciled_is_not_reconciled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Asked again while the venue still has the incarnation reconciled (the start's run read
    it before the stream's watch reported it as a change): nothing to do."""
    runs: list[int] = []
    monkeypatch.setattr(runner, "reconcile", lambda *a: runs.append(1) or [])
    stop, again, venue = threading.Event(), threading.Event(), Healthz("a")
    t = threading.Thread(target=runner.reconcile_each_start,
                         args=(venue, NoWorkers(), stop, again))
    t.start()
    try:
        assert _until(lambda: len(runs) == 1)
        again.set()
        assert _until(lambda: venue.asked == 2 and not again.is_set())
        time.sleep(0.2)
        assert len(runs) == 1
    finally:
        stop.set()
        t.join(10)


class Healthz:
    """A venue's /healthz naming its incarnation."""

    def __init__(self, incarnation: str) -> None:
        self.incarnation, self.asked = incarnation, 0

    def call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        assert (method, path) == ("GET", "/healthz")
        self.asked += 1
        return {"status": "ok", "incarnation": self.incarnation}


@pytest.mark.parametrize(("streamed", "runs_expected"), [("a", 1), ("b", 2)])
def test_a_restart_before_the_streams_first_page_is_reconciled(
        monkeypatch: pytest.MonkeyPatch, streamed: str, runs_expected: int) -> None:
    """The reconciliation read incarnation "a"; the stream's first page says `streamed`. The
    watch sees no change (it had none before), so only this comparison can catch "b"."""
    runs: list[int] = []
    monkeypatch.setattr(runner, "reconcile", lambda *a: runs.append(1) or [])

    stop, again, asked, venue = threading.Event(), threading.Event(), [], Healthz("a")
    watch = VenueWatch(lambda: asked.append(1))
    t = threading.Thread(target=runner.reconcile_each_start,
                         args=(venue, NoWorkers(), stop, again, watch))
    t.start()
    try:
        assert _until(lambda: len(runs) == 1)
        venue.incarnation = streamed
        watch.check({"reports": [], "last_seq": 0, "incarnation": streamed}, 0)
        assert asked == []  # the first page is no change to the watch itself
        _until(lambda: len(runs) == runs_expected, seconds=2.5)
        assert len(runs) == runs_expected
    finally:
        stop.set()
        t.join(10)


def test_a_stream_behind_the_reconciliation_adds_no_run(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Scenario: the venue restarted (a -> b) before the start's reconciliation read it, while
    the stream's first page still came from "a". We expect one reconciliation, of "b": the
    stream's "a" is looked at once, and its later change to "b" finds "b" reconciled."""
    runs: list[int] = []
    monkeypatch.setattr(runner, "reconcile", lambda *a: runs.append(1) or [])
    stop, again, venue = threading.Event(), threading.Event(), Healthz("b")
    watch = VenueWatch(again.set)
    watch.check({"reports": [], "last_seq": 0, "incarnation": "a"}, 0)
    t = threading.Thread(target=runner.reconcile_each_start,
                         args=(venue, NoWorkers(), stop, again, watch))
    t.start()
    try:
        assert _until(lambda: len(runs) == 1)
        assert _until(lambda: venue.asked == 2)  # the stream's "a" made it look once more
        watch.check({"reports": [], "last_seq": 0, "incarnation": "b"}, 0)  # sets `again`
        assert _until(lambda: venue.asked == 3 and not again.is_set())
        time.sleep(1.5)  # a spin on the stale "a" would ask again within a second
        assert len(runs) == 1 and venue.asked == 3
    finally:
        stop.set()
        t.join(10)


def _until(check: Any, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not check() and time.monotonic() < deadline:
        time.sleep(0.05)
    return bool(check())
