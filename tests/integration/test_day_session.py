"""Scenario: the venue's daily close is configured, and three new orders wait in the orders
topic when the connector and the exchange simulator start: a DAY order booked two days ago
(its session long closed: the venue down across the close, or a backlog), a GTC order
booked then too, and a DAY order booked now. We expect the old DAY order to reach the venue
with the end of its session and to expire there at once, its EXPIRED report published on
the executions topic for the rules (which release its block); the GTC order and the fresh
DAY order to rest at the venue as before."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer, create_topics, producer, topic_configs, topic_names
from brokerage.codec import avro
from brokerage.codec.models import order_to_record
from brokerage.domain.events import OrderCommand
from brokerage.domain.types import OrderAction, OrderType, Side, TimeInForce
from brokerage.entrypoints.processes import Processes
from tests.integration.conftest import stack_settings
from tests.integration.helpers import until

pytestmark = pytest.mark.integration


def order(trader: str, tif: TimeInForce) -> OrderCommand:
    trade = f"{trader}.{uuid.uuid4().hex[:16]}"
    return OrderCommand(OrderAction.NEW, f"{trade}:0", trade, trader, 0, "AAPL", Side.BUY, 5,
                        OrderType.LIMIT, tif, 10_000)  # far below the market: it rests


def published(bootstrap: str, topic: str) -> list[dict[str, object]]:
    c = consumer(bootstrap, f"day-session-{uuid.uuid4().hex[:6]}")
    c.assign([TopicPartition(topic, p, 0) for p in range(4)])
    out = [avro.decode("execution_report", m.value() or b"")
           for m in c.consume(1000, 2.0) if not m.error()]
    c.close()
    return out


def test_a_day_order_that_missed_its_session_expires_at_the_venue(
        kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]) -> None:
    close = (datetime.now(UTC) + timedelta(hours=6)).strftime("%H:%M:%S")  # not during the test
    s = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"exchange_close_utc": close})
    create_topics(kafka_bootstrap, topic_names(s), s.partitions, configs=topic_configs(s))
    trader = f"t-{uuid.uuid4().hex[:8]}"
    old_day, old_gtc, new_day = (order(trader, TimeInForce.DAY), order(trader, TimeInForce.GTC),
                                 order(trader, TimeInForce.DAY))
    two_days_ago = int((time.time() - 2 * 86_400) * 1000)
    p = producer(kafka_bootstrap)
    for o, at in ((old_day, two_days_ago), (old_gtc, two_days_ago), (new_day, None)):
        value = avro.encode("order", order_to_record(o))
        if at is None:
            p.produce(s.topic_orders, value, trader.encode())
        else:
            p.produce(s.topic_orders, value, trader.encode(), timestamp=at)
    assert p.flush(10) == 0

    procs = Processes(s, str(tmp_path))
    try:
        procs.start("exchange-sim")
        procs.start("connector")

        def venue_reports() -> list[tuple[str, str]]:
            try:
                page = httpx.get(f"{s.exchange_url}/executions", params={"after": 0}).json()
            except httpx.TransportError:
                return []
            return [(r["exec_type"], r["client_order_id"]) for r in page["reports"]]

        until(lambda: len(venue_reports()) >= 4, "the venue to take the three orders",
              timeout=60)
        assert sorted(venue_reports()) == sorted([
            ("NEW", old_day.order_id), ("EXPIRED", old_day.order_id),
            ("NEW", old_gtc.order_id), ("NEW", new_day.order_id)])
        resting = httpx.get(f"{s.exchange_url}/orders", params={"open": "true"}).json()
        assert {o["client_order_id"] for o in resting["orders"]} == {old_gtc.order_id,
                                                                       new_day.order_id}
        until(lambda: any(r["exec_type"] == "EXPIRED"
                          for r in published(kafka_bootstrap, s.topic_executions)),
              "the EXPIRED report on the executions topic", timeout=30)
        [expired] = [r for r in published(kafka_bootstrap, s.topic_executions)
                     if r["exec_type"] == "EXPIRED"]
        assert (expired["trade_id"], expired["trader_id"]) == (old_day.trade_id, trader)
    finally:
        procs.stop_all()
