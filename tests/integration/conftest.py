"""A whole stack (worker, exchange, API) per test, on the session broker, with its own
topics, consumer groups, ports and state directory."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def serving(settings: Settings, logs: Path) -> Iterator[Stack]:
    """A stack on these settings for the block; its children's logs printed if it fails."""
    logs.mkdir(parents=True, exist_ok=True)
    admin = bearer(settings, "tests-admin", admin=True)
    try:
        with stack(settings, log_dir=str(logs)) as running, httpx.Client(
            base_url=running.url, timeout=30, headers=admin
        ) as http:
            yield Stack(settings, running.url, http, admin, running)
    except BaseException:
        for log in sorted(logs.glob("*.log")):  # the children's output explains failures
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


@pytest.fixture
def running_stack(
    kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> Iterator[Stack]:
    with serving(stack_settings(kafka_bootstrap, tmp_path / "state", unique_name),
                 tmp_path / "logs") as s:
        yield s


@pytest.fixture(scope="module")
def shared_stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One stack for a module's tests, when they cannot disturb each other (own traders, and
    symbols the market maker quotes): each stack costs seconds to start."""
    root = tmp_path_factory.mktemp("shared")
    with serving(stack_settings(kafka_bootstrap, root / "state", fresh_name), root / "logs") as s:
        yield s


def fresh_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def trader() -> str:
    return f"t-{uuid.uuid4().hex[:8]}"
