"""Scenario: an execution report arrives for a trade the worker does not know yet (an upstream
ordering fault), so it is dead-lettered; once the trade exists, an operator inspects the
dead-letter topic and replays it. We expect `brokerage dlq inspect` to list it with its reason
and origin, and `brokerage dlq replay` to re-submit the original bytes so the fill applies."""

from __future__ import annotations

import json
import time

import pytest

from brokerage.adapters.kafka import producer
from brokerage.cli import build_parser
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record
from brokerage.domain.events import ExecutionReport
from brokerage.domain.requests import trade_id_for
from brokerage.domain.types import ExecType
from brokerage.entrypoints import dlq_cmd
from tests.integration.conftest import Stack, trader

pytestmark = pytest.mark.integration


def dlq(s: Stack, *argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    args = build_parser().parse_args(["dlq", *argv])
    assert dlq_cmd.run(args, s.settings) == 0
    return capsys.readouterr().out


def test_dead_letter_inspect_and_replay(running_stack: Stack,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    s, t = running_stack, trader()
    trade_id = trade_id_for(t, "r1")
    early = ExecutionReport("early-fill-1", t, trade_id, ExecType.TRADE, 0, 2, 15_000)
    value = avro.encode("execution_report", execution_to_record(early))
    p = producer(s.settings.kafka_bootstrap_servers)
    p.produce(s.settings.topic_executions, value, t.encode())
    assert p.flush(10) == 0

    deadline = time.monotonic() + 30
    rows: list[dict[str, str]] = []
    while not rows:
        assert time.monotonic() < deadline, "the early fill never reached the dead-letter topic"
        time.sleep(0.5)
        rows = json.loads(dlq(s, "inspect", "--json", capsys=capsys))
    assert len(rows) == 1
    assert rows[0]["error"] == "Anomaly" and "UNKNOWN_TRADE" in rows[0]["reason"]
    assert rows[0]["origin"].startswith(s.settings.topic_executions + "/")

    # The trade now exists, resting below the market so the exchange does not fill it.
    assert s.deposit(t, amount="10000.00").status_code == 201
    r = s.http.post("/v1/trades", json={"trader_id": t, "side": "BUY", "symbol": "AAPL",
                                        "quantity": 5, "limit_price": "150.00"},
                    headers={"Idempotency-Key": "r1"})
    assert r.status_code == 201 and r.json()["trade_id"] == trade_id

    assert "replayed 1 of 1" in dlq(s, "replay", "--reason", "UNKNOWN_TRADE", capsys=capsys)
    deadline = time.monotonic() + 30
    while (trade := s.http.get(f"/v1/trades/{trade_id}").json())["filled_quantity"] != 2:
        assert time.monotonic() < deadline, f"replayed fill never applied: {trade}"
        time.sleep(0.3)
    assert trade["status"] == "PARTIALLY_FILLED"
    assert trade["fills"][0]["exec_id"] == "early-fill-1"
    assert trade["fills"][0]["price"] == "150.00"
