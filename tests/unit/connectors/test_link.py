"""The connector's pure parts: the circuit breaker, the mapping, reconciliation's diff, and
retries against a real (in-process) HTTP server that fails on purpose."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from datetime import time as dt_time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from brokerage.codec.models import order_to_record
from brokerage.domain.events import OrderCommand
from brokerage.domain.types import OrderAction, OrderType, Side, TimeInForce
from connectors.link.breaker import BreakerOpen, CircuitBreaker, State
from connectors.link.client import ExchangeClient, ExchangeRefused, ExchangeUnavailable
from connectors.link.mapping import (
    refusal_report,
    report_from,
    request_for,
    resubmission,
    trade_of,
)
from connectors.link.reconcile import differences


def test_breaker_opens_half_opens_and_closes() -> None:
    b = CircuitBreaker(failures=3, reset_seconds=0.05)
    for _ in range(3):
        b.before()
        b.failure()
    assert b.state is State.OPEN
    with pytest.raises(BreakerOpen):
        b.before()
    time.sleep(0.06)
    b.before()  # the probe
    assert b.state is State.HALF_OPEN
    with pytest.raises(BreakerOpen):
        b.before()  # only one probe at a time
    b.failure()
    assert b.state is State.OPEN
    time.sleep(0.06)
    b.before()
    b.success()
    assert b.history == [State.CLOSED, State.OPEN, State.HALF_OPEN, State.OPEN,
                         State.HALF_OPEN, State.CLOSED]


def test_a_success_resets_the_failure_count() -> None:
    b = CircuitBreaker(failures=2, reset_seconds=10)
    b.failure()
    b.success()
    b.failure()
    assert b.state is State.CLOSED


class Flaky(BaseHTTPRequestHandler):
    plan: list[int] = []
    seen = 0

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        Flaky.seen += 1
        status = Flaky.plan.pop(0) if Flaky.plan else 200
        body = b'{"ok": true}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Flaky.seen = 0
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_retries_5xx_then_succeeds(flaky: str) -> None:
    Flaky.plan = [503, 500]
    client = ExchangeClient(flaky, CircuitBreaker(failures=10), backoff=0.001)
    assert client.call("GET", "/x") == {"ok": True}
    assert Flaky.seen == 3


def test_4xx_is_not_retried(flaky: str) -> None:
    Flaky.plan = [409]
    client = ExchangeClient(flaky, CircuitBreaker(failures=10), backoff=0.001)
    with pytest.raises(ExchangeRefused):
        client.call("GET", "/x")
    assert Flaky.seen == 1


def test_gives_up_after_its_attempts_and_opens_the_breaker(flaky: str) -> None:
    Flaky.plan = [503] * 10
    breaker = CircuitBreaker(failures=3, reset_seconds=60)
    client = ExchangeClient(flaky, breaker, attempts=5, backoff=0.001)
    with pytest.raises(ExchangeUnavailable):
        client.call("GET", "/x")
    assert Flaky.seen == 3 and breaker.state is State.OPEN  # the breaker stopped attempts 4-5


def test_refused_connection_is_retryable() -> None:
    client = ExchangeClient("http://127.0.0.1:9", CircuitBreaker(failures=10), attempts=2,
                            backoff=0.001, timeout=0.5)
    with pytest.raises(ExchangeUnavailable):
        client.call("GET", "/x")


ORDER = OrderCommand(OrderAction.REPLACE, "al.1f:r2", "al.1f", "al", 1, "AAPL", Side.BUY, 20,
                     OrderType.LIMIT, TimeInForce.DAY, 19_000, "al.1f:0")


def test_mapping() -> None:
    assert trade_of("trader:x.1f:r2") == "trader:x.1f"
    assert request_for(ORDER) == ("POST", "/orders/al.1f:0/replace", {
        "client_order_id": "al.1f:r2", "quantity": 20, "limit_price": 19_000})
    rep = report_from({"seq": 3, "exec_id": "E3", "exec_type": "TRADE",
                       "client_order_id": "al.1f:0", "last_qty": 5, "last_price": 18_990})
    assert (rep.trader_id, rep.trade_id, rep.last_qty, rep.exec_id) == ("al", "al.1f", 5, "E3")
    assert refusal_report(ORDER, "404").exec_type.value == "REPLACE_REJECTED"


def test_a_replace_sends_the_time_in_force_only_when_it_changes() -> None:
    changed = replace(ORDER, time_in_force=TimeInForce.GTC, new_time_in_force=TimeInForce.GTC)
    assert request_for(changed)[2] == {"client_order_id": "al.1f:r2", "quantity": 20,
                                       "limit_price": 19_000, "time_in_force": "GTC"}
    assert "time_in_force" not in request_for(ORDER)[2]  # as before: a resend stays identical


def test_a_new_day_order_says_when_its_session_ends_once_the_close_is_known() -> None:
    new = replace(ORDER, action=OrderAction.NEW, order_id="al.1f:0", target_order_id=None)
    booked = int(datetime(2026, 12, 7, 15, 30, tzinfo=UTC).timestamp() * 1000)
    close = dt_time(21, 0)
    body = request_for(new, booked, close)[2]
    assert body["expire_at_ms"] == int(datetime(2026, 12, 7, 21, tzinfo=UTC).timestamp() * 1000)
    assert "expire_at_ms" not in request_for(new)[2]  # no close configured: as before
    assert "expire_at_ms" not in request_for(new, 0, close)[2]  # no booking time known
    gtc = replace(new, time_in_force=TimeInForce.GTC)
    assert "expire_at_ms" not in request_for(gtc, booked, close)[2]
    assert "expire_at_ms" not in request_for(ORDER, booked, close)[2]  # a replace


def test_reconciliation_resends_a_day_order_with_the_end_of_its_session() -> None:
    new = replace(ORDER, action=OrderAction.NEW, order_id="al.1f:0", target_order_id=None)
    booked = int(datetime(2026, 12, 7, 22, 0, tzinfo=UTC).timestamp() * 1000)  # after 21:00
    trade = {"trade_id": "al.1f", "created_ms": booked, "pending_order": order_to_record(new)}
    method, path, body = resubmission(trade, dt_time(21, 0))
    assert (method, path) == ("POST", "/orders") and body["client_order_id"] == "al.1f:0"
    assert body["expire_at_ms"] == int(datetime(2026, 12, 8, 21, tzinfo=UTC).timestamp() * 1000)
    assert "expire_at_ms" not in resubmission(trade, None)[2]
    assert "expire_at_ms" not in resubmission({**trade, "created_ms": 0}, dt_time(21, 0))[2]


def test_differences_name_each_kind() -> None:
    exchange = [{"client_order_id": "a.1:0", "cum_qty": 0},
                {"client_order_id": "a.2:r1", "cum_qty": 3},
                {"client_order_id": "ghost.9:0", "cum_qty": 0}]
    ours = {"a.1": {"status": "NEW", "cum_qty": 0},
            "a.2": {"status": "PARTIALLY_FILLED", "cum_qty": 2},
            "a.3": {"status": "PENDING_NEW", "cum_qty": 0},
            "a.4": {"status": "NEW", "cum_qty": 0}}
    kinds = {(d.kind, d.trade_id) for d in differences(exchange, ours)}
    assert kinds == {("QUANTITY_MISMATCH", "a.2"), ("ORPHAN_AT_EXCHANGE", "ghost.9"),
                     ("NOT_SENT", "a.3"), ("MISSING_AT_EXCHANGE", "a.4")}
