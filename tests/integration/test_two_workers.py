"""Scenario: the stack runs two workers in one consumer group, and the API knows both URLs.
Traders are created until each worker owns some of them (a trader's partition is Kafka's
default: murmur2 of its id). We expect the partitions to be split between the workers,
each trader's state to live with the worker owning its partition, the API to return the
right wallet and trade for traders of either worker, and either worker to answer for any
trader: one asked for a trader it does not own forwards the read to the owner (Faust's
table_route)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka.partitioner import DefaultPartitioner

from brokerage.entrypoints.stack import stack
from brokerage.entrypoints.tokens import bearer
from brokerage.localkafka import free_port
from tests.integration.conftest import Stack, stack_settings, trader
from tests.integration.helpers import until, wait_status

pytestmark = pytest.mark.integration


def partition_of(trader_id: str, partitions: int) -> int:
    """Kafka's default partitioner (murmur2), as the API's producer and Faust both use."""
    p: int = DefaultPartitioner()(trader_id.encode(), list(range(partitions)), [])
    return p


@pytest.fixture
def two_workers(kafka_bootstrap: str, tmp_path: Path,
                unique_name: Callable[[str], str]) -> Iterator[Stack]:
    web0, web1 = free_port(), free_port()
    settings = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"worker_web_port": web0,
                "worker_urls": f"http://127.0.0.1:{web0},http://127.0.0.1:{web1}"})
    logs = tmp_path / "logs"
    logs.mkdir()
    admin = bearer(settings, "tests-admin", admin=True)
    second = ("worker-1", "--id", "1", "--web-port", str(web1))
    try:
        with stack(settings, log_dir=str(logs), extra=[second]) as running, httpx.Client(
            base_url=running.url, timeout=30, headers=admin
        ) as http:
            yield Stack(settings, running.url, http, admin, running)
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


def split(urls: list[str], partitions: int) -> list[set[int]] | None:
    """Each worker's partitions, once both are ready and together own all, each once."""
    owned = []
    for url in urls:
        r = httpx.get(f"{url}/readyz", timeout=5)
        if r.status_code != 200:
            return None
        owned.append(set(r.json()["partitions"]))
    if not all(owned) or set.union(*owned) != set(range(partitions)) or (
            sum(map(len, owned)) != partitions):
        return None
    return owned


def open_trade_ids(url: str) -> set[str]:
    trades = httpx.get(f"{url}/state/open-trades/", timeout=10).json()["trades"]
    # When each was booked: reconciliation resends a DAY order with its session's end.
    assert all(t["created_ms"] > 0 for t in trades), trades
    return {t["trade_id"] for t in trades}


def test_two_workers_split_traders_and_either_answers_for_any(two_workers: Stack) -> None:
    s = two_workers
    n = s.settings.partitions
    workers = s.settings.worker_url_list()
    assert len(workers) == 2
    owned: list[set[int]] = until(lambda: split(workers, n), "both workers to own partitions",
                                  timeout=90)

    # Create traders until each worker owns two.
    mine: dict[int, list[str]] = {0: [], 1: []}
    cash: dict[str, str] = {}
    trades: dict[str, str] = {}
    while min(len(v) for v in mine.values()) < 2:
        t = trader()
        w = 0 if partition_of(t, n) in owned[0] else 1
        if len(mine[w]) == 2:
            continue
        cash[t] = f"{1000 + len(cash)}.00"  # a different amount each: the right data, not any
        assert s.deposit(t, amount=cash[t]).status_code == 201
        r = s.http.post("/v1/trades", json={"trader_id": t, "side": "BUY", "symbol": "AAPL",
                                            "quantity": 1, "limit_price": "100.00"})
        assert r.status_code == 201, r.text
        trades[t] = r.json()["trade_id"]
        mine[w].append(t)
    assert until(lambda: split(workers, n), "a stable split") == owned  # no rebalance since

    for w, traders in mine.items():
        for t in traders:
            # Through the API (which reads through the first worker it can reach).
            with httpx.Client(base_url=s.url, timeout=30, headers=bearer(s.settings, t)) as c:
                wallet: dict[str, Any] = c.get(f"/v1/traders/{t}/wallet").json()
                expected = f"{int(cash[t].split('.')[0]) - 101}.00"  # 100.00 + 1.00 fee held
                assert wallet["cash"] == {"available": expected, "blocked": "101.00"}, wallet
                trade = wait_status(s, trades[t], "NEW")
                assert (trade["trader_id"], trade["symbol"]) == (t, "AAPL")
                page = c.get(f"/v1/traders/{t}/trades").json()
                assert [x["trade_id"] for x in page["trades"]] == [trades[t]]

            # The state lives with the partition's owner: its open trades, not the other's.
            assert trades[t] in open_trade_ids(workers[w])
            assert trades[t] not in open_trade_ids(workers[1 - w])

            # Either worker answers for it: the owner from its table, the other by
            # forwarding to the owner.
            for url in (workers[w], workers[1 - w]):
                r = httpx.get(f"{url}/state/traders/{t}/", timeout=10)
                assert r.status_code == 200, (url, r.text)
                state = r.json()
                assert state["trader_id"] == t
                assert [x["trade_id"] for x in state["trades"]] == [trades[t]]

    # A trader nobody has: 404 from either worker, wherever its partition lives.
    for url in workers:
        assert httpx.get(f"{url}/state/traders/t-nobody/", timeout=10).status_code == 404
