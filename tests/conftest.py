"""Shared fixtures. The real Kafka broker starts lazily, once per session, for tests that ask."""

from __future__ import annotations

import atexit
import os
import uuid
from collections.abc import Callable, Iterable, Iterator

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from brokerage.config import Settings
from brokerage.localkafka import BrokerInfo, free_port, start, stop

CreateTopics = Callable[..., None]
FUZZ_MESSAGES_ENV = "BROKERAGE_FUZZ_MESSAGES"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fuzz-messages", type=int, metavar="N",
                     help=f"messages for test_fuzz_dead_letters (default 10000; "
                          f"{FUZZ_MESSAGES_ENV} also sets it)")


def pytest_configure(config: pytest.Config) -> None:
    # The fuzz module sizes its timeout when imported, so the option goes on as the env var.
    n = config.getoption("--fuzz-messages")
    if n is not None:
        os.environ[FUZZ_MESSAGES_ENV] = str(n)


def _external_bootstrap() -> str:
    # Fresh Settings, not the cached get_settings(): honours both env aliases as the app does.
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or Settings().kafka_bootstrap_servers


@pytest.fixture(scope="session")
def local_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerInfo | None]:
    """The broker this session started, or None when KAFKA_BOOTSTRAP_SERVERS points elsewhere."""
    if _external_bootstrap():
        yield None
        return
    settings = Settings()
    data_dir = tmp_path_factory.mktemp("kafka")
    atexit.register(stop, data_dir)  # fallback if the session dies before teardown
    info = start(
        free_port(),
        data_dir,
        version=settings.kafka_version,
        cache_dir=settings.kafka_cache_dir,
        heap=settings.kafka_heap,
        partitions=settings.partitions,
    )
    try:
        yield info
    finally:
        stop(data_dir)


@pytest.fixture(scope="session")
def kafka_bootstrap(local_broker: BrokerInfo | None) -> str:
    return local_broker.bootstrap if local_broker else _external_bootstrap()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """unique_name("orders") -> "orders-1a2b3c4d": topics and groups never clash between tests."""

    def make(prefix: str) -> str:
        return f"{prefix}-{uuid.uuid4().hex[:8]}"

    return make


@pytest.fixture
def create_topics(kafka_bootstrap: str) -> CreateTopics:
    """create_topics(["a", "b"], partitions=8): creates the topics and waits until they exist."""
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})

    def create(names: Iterable[str], partitions: int = 8) -> None:
        new = [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in names]
        for future in admin.create_topics(new, operation_timeout=30).values():
            future.result(timeout=60)

    return create
