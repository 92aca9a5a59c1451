"""What the worker logs and counts per input: one line per input, whatever it caused."""

from __future__ import annotations

import logging

import pytest

from brokerage.domain.events import Anomaly, OrderCommand, Response, TradeUpdate
from brokerage.domain.types import (
    AnomalyReason,
    OrderAction,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
    TradeStatus,
)
from brokerage.observability.logs import EVENTS
from brokerage.observability.metrics import Tally
from brokerage.service.messages import Result
from streams import metrics, observe

ORDER = OrderCommand(OrderAction.NEW, "o-1", "t1.abc", "t1", 1, "AAPL", Side.BUY, 10,
                     OrderType.LIMIT, TimeInForce.DAY, 19_100)


def _record(result: Result) -> None:
    tally = Tally()
    observe.record(result, tally)
    tally.flush()


def lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == EVENTS]


def test_an_accepted_new_trade_is_one_line_with_its_order(
        caplog: pytest.LogCaptureFixture) -> None:
    ok = Response("r-1", "t1", True, "t1.abc", TradeStatus.PENDING_NEW)
    before = metrics.requests_of("new", "accepted", "")._value.get()
    with caplog.at_level(logging.INFO, logger=EVENTS):
        _record(Result(None, [], "NewTrade", [ok, ORDER]))
    [line] = lines(caplog)
    assert line.getMessage() == "request r-1 accepted; order NEW o-1 to the exchange"
    assert (line.request_id, line.trade_id, line.keep) == ("r-1", "t1.abc", False)  # type: ignore[attr-defined]
    assert metrics.requests_of("new", "accepted", "")._value.get() == before + 1


def test_a_refusal_is_kept_past_sampling_and_a_replay_is_not_counted_again(
        caplog: pytest.LogCaptureFixture) -> None:
    no = Response("r-2", "t1", False, None, None, RejectReason.INSUFFICIENT_FUNDS, "short")
    counted = metrics.requests_of("new", "rejected", "INSUFFICIENT_FUNDS")
    before = counted._value.get()
    with caplog.at_level(logging.INFO, logger=EVENTS):
        _record(Result(None, [], "NewTrade", [no], repeat=True))
    [line] = lines(caplog)
    assert line.getMessage() == "request r-2 rejected INSUFFICIENT_FUNDS"
    assert line.keep and not hasattr(line, "trade_id")  # type: ignore[attr-defined]
    assert counted._value.get() == before


def test_a_fill_and_an_anomaly(caplog: pytest.LogCaptureFixture) -> None:
    fill = TradeUpdate("t1", "t1.abc", TradeStatus.FILLED, "x-9", 10, 10, 19_000)
    settled = metrics.settled_of("FILLED")._value.get()
    with caplog.at_level(logging.INFO, logger=EVENTS):
        _record(Result(None, [], "ExecutionReport", [fill]))
        _record(Result(None, [], "ExecutionReport",
                              [Anomaly("t1", AnomalyReason.UNKNOWN_TRADE, "late")]))
    fill_line, anomaly = lines(caplog)
    assert fill_line.getMessage() == "trade t1.abc FILLED (exec x-9, filled 10)"
    assert anomaly.levelno == logging.WARNING
    assert metrics.settled_of("FILLED")._value.get() == settled + 1


def test_nothing_is_formatted_when_the_lines_are_muted(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=EVENTS):
        _record(Result(None, [], "NewTrade", [ORDER]))
    assert not lines(caplog)
