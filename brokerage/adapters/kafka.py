"""confluent-kafka clients and topic admin, configured the same way everywhere."""

from __future__ import annotations

import logging
import time
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from brokerage.config import Settings
from brokerage.security.clientconf import client_conf

# Java's murmur2, as aiokafka (inside Faust) uses: both sides pick the same partition per key.
PARTITIONER = "murmur2_random"
# librdkafka's own messages go through logging (JSON lines), not straight to stderr.
RDKAFKA_LOG = logging.getLogger("librdkafka")


def producer(bootstrap: str, **extra: Any) -> Producer:
    conf: dict[str, Any] = {
        **client_conf(bootstrap),  # security settings of this process (README: Security)
        "partitioner": PARTITIONER,
        "enable.idempotence": True,
        "linger.ms": 5,
        "logger": RDKAFKA_LOG,
    }
    conf.update(extra)
    return Producer(conf)


def consumer(bootstrap: str, group: str, **extra: Any) -> Consumer:
    conf: dict[str, Any] = {
        **client_conf(bootstrap),
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "logger": RDKAFKA_LOG,
    }
    conf.update(extra)
    return Consumer(conf)


def batching(settings: Settings) -> dict[str, Any]:
    """The pipeline consumers' fetch batching (see Settings.kafka_fetch_wait_ms)."""
    return {"fetch.wait.max.ms": settings.kafka_fetch_wait_ms,
            "fetch.min.bytes": settings.kafka_fetch_min_bytes}


def producing(settings: Settings) -> dict[str, Any]:
    """The pipeline producers' batching and codec (see Settings.kafka_linger_ms)."""
    return {"linger.ms": settings.kafka_linger_ms,
            "compression.type": settings.kafka_compression}


def membership(settings: Settings) -> dict[str, Any]:
    """A group member killed with SIGKILL keeps its partitions until its session times out
    (librdkafka's default: 45 s, orders or inputs standing still meanwhile): as short as a
    worker's."""
    ms = int(settings.worker_session_timeout_seconds * 1000)
    return {"session.timeout.ms": ms, "heartbeat.interval.ms": min(3000, ms // 3)}


def admin_client(bootstrap: str) -> AdminClient:
    conf: dict[str, Any] = {**client_conf(bootstrap), "logger": RDKAFKA_LOG}
    return AdminClient(conf)


def topic_names(settings: Settings) -> list[str]:
    return [
        settings.topic_requests,
        settings.topic_responses,
        settings.topic_orders,
        settings.topic_executions,
        settings.topic_dead_letters,
        settings.topic_inputs,
        settings.topic_api_keys,
        *changelog_names(settings),
    ]


# The worker's tables ("<app_id>-<table>-changelog"). Created here, before any worker starts:
# when several workers race to create them, faust can read a just-created topic as having no
# partitions and crash on start ("partitions mismatch").
TABLES = ("traders", "input-offsets")


def changelog_names(settings: Settings) -> list[str]:
    return [f"{settings.app_id}-{t}-changelog" for t in TABLES]


# Inputs are capped below what the worker's producer (and the dead-letter topic) take, so a
# dead letter, which is the original bytes plus headers, always fits.
MAX_INPUT_BYTES = 1_000_000
MAX_DEAD_LETTER_BYTES = 1_100_000


def topic_configs(settings: Settings) -> dict[str, dict[str, str]]:
    inputs = {"max.message.bytes": str(MAX_INPUT_BYTES)}
    # Replay rebuilds every table from the merged input log from offset 0: keep it all.
    forever = {**inputs, "retention.ms": "-1", "retention.bytes": "-1"}
    configs = {
        settings.topic_requests: forever,
        settings.topic_executions: forever,
        settings.topic_inputs: {**forever, "max.message.bytes": str(MAX_INPUT_BYTES + 1000)},
        settings.topic_orders: inputs,
        settings.topic_dead_letters: {"max.message.bytes": str(MAX_DEAD_LETTER_BYTES)},
        settings.topic_api_keys: {"cleanup.policy": "compact"},  # the latest record per key
        **{n: {"cleanup.policy": "compact"} for n in changelog_names(settings)},
    }
    if settings.min_insync_replicas > 1:  # a cluster: acks=all writes need this many copies
        isr = {"min.insync.replicas": str(settings.min_insync_replicas)}
        configs = {n: {**configs.get(n, {}), **isr} for n in topic_names(settings)}
    return configs


def create_topics(bootstrap: str, names: list[str], partitions: int, timeout: float = 30,
                  configs: dict[str, dict[str, str]] | None = None,
                  replication: int = 1) -> None:
    """Create the topics that are missing, and return once the broker lists each of them
    with its partitions (a client asking at once was told "unknown topic" now and then);
    existing ones are left alone."""
    admin = admin_client(bootstrap)
    existing = set(admin.list_topics(timeout=timeout).topics)
    configs = configs or {}
    new = [NewTopic(n, num_partitions=partitions, replication_factor=replication,
                    config=configs.get(n, {}))
           for n in names if n not in existing]
    if not new:
        return
    for name, fut in admin.create_topics(new, operation_timeout=timeout).items():
        try:
            fut.result()
        except Exception as exc:  # raced with another creator: fine if it now exists
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise RuntimeError(f"could not create topic {name}: {exc}") from exc
    deadline = time.monotonic() + timeout
    while missing := [t.topic for t in new if not _listed(admin, t.topic)]:
        if time.monotonic() > deadline:
            raise RuntimeError(f"topics not listed {timeout:.0f} s after creation: {missing}")
        time.sleep(0.1)


def _listed(admin: AdminClient, name: str) -> bool:
    meta = admin.list_topics(name, timeout=10).topics.get(name)
    return meta is not None and meta.error is None and bool(meta.partitions)
