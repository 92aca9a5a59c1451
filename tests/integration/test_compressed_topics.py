"""Scenario: the operator compresses every topic with zstd (a topic setting, as many clusters
set broker-wide), and our own producers compress with lz4 (BROKERAGE_KAFKA_COMPRESSION). A
trader deposits, buys and sells through the API.
We expect the worker to read the compressed input log and changelog (faust's client needs a
codec library for that; without it its fetcher crashed and the worker exited), and every
trade to settle exactly as on plain topics."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from brokerage.adapters.kafka import create_topics, topic_configs, topic_names
from tests.integration.conftest import serving, stack_settings, trader
from tests.integration.helpers import buy, cash, sell, wait_status, wallet

pytestmark = pytest.mark.integration


def test_a_stack_on_compressed_topics_trades_and_settles(
    kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str],
) -> None:
    s = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"kafka_compression": "lz4"})
    configs = topic_configs(s)
    create_topics(kafka_bootstrap, topic_names(s), s.partitions,
                  configs={n: {**configs.get(n, {}), "compression.type": "zstd"}
                           for n in topic_names(s)})
    with serving(s, tmp_path / "logs") as st:
        t = trader()
        assert st.deposit(t, amount="5000.00").status_code == 201
        r = buy(st, t, "AAPL", 10, "191.00")
        assert r.status_code == 201, r.text
        bought = wait_status(st, r.json()["trade_id"], "FILLED")
        fill = bought["fills"][0]
        spent = Decimal(fill["price"]) * 10 + Decimal(fill["fee"])
        assert cash(st, t) == (Decimal("5000.00") - spent, 0)

        r = sell(st, t, "AAPL", 4, "189.00")
        assert r.status_code == 201, r.text
        sold = wait_status(st, r.json()["trade_id"], "FILLED")
        got = Decimal(sold["fills"][0]["price"]) * 4 - Decimal(sold["fills"][0]["fee"])
        assert cash(st, t) == (Decimal("5000.00") - spent + got, 0)
        assert wallet(st, t)["holdings"] == {"AAPL": {"available": 6, "blocked": 0}}
        st.running.processes.check()  # no child exited meanwhile
