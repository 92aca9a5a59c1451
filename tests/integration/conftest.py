"""A whole stack (worker, exchange, API) per test, on the session broker, with its own
topics, consumer groups, ports and state directory."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from brokerage.config import Settings
from brokerage.entrypoints.stack import Running, stack
from brokerage.entrypoints.tokens import bearer
from brokerage.localkafka import free_port


@dataclass
class Stack:
    settings: Settings
    url: str
    http: httpx.Client
    admin: dict[str, str]
    running: Running

    def deposit(self, trader: str, **body: object) -> httpx.Response:
        return self.http.post(f"/v1/traders/{trader}/deposits", json=body, headers=self.admin)


def stack_settings(bootstrap: str, state_dir: Path, name: Callable[[str], str]) -> Settings:
    web, api, exchange = free_port(), free_port(), free_port()
    return Settings(
        kafka_bootstrap_servers=bootstrap, state_dir=state_dir, partitions=4,
        topic_requests=name("requests"), topic_responses=name("responses"),
        topic_orders=name("orders"), topic_executions=name("executions"),
        topic_dead_letters=name("dlq"), topic_inputs=name("inputs"), app_id=name("app"),
        worker_web_port=web, worker_urls=f"http://127.0.0.1:{web}", api_port=api,
        api_response_timeout_seconds=20, exchange_port=exchange,
        exchange_url=f"http://127.0.0.1:{exchange}", connector_metrics_port=free_port(),
        sequencer_metrics_port=free_port(),
    )


@pytest.fixture
def running_stack(
    kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> Iterator[Stack]:
    settings = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name)
    logs = tmp_path / "logs"
    logs.mkdir()
    try:
        with stack(settings, log_dir=str(logs)) as running, httpx.Client(
            base_url=running.url, timeout=30
        ) as http:
            http.headers.update(bearer(settings, "tests-admin", admin=True))
            yield Stack(settings, running.url, http, bearer(settings, "tests-admin", admin=True),
                        running)
    except BaseException:
        for log in sorted(logs.glob("*.log")):  # the children's output explains failures
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


def trader() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"
