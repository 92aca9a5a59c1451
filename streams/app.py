"""The Faust application: topics, the trader table, and its settings. No business rules."""

from __future__ import annotations

import weakref
from pathlib import Path

import faust
from faust.streams import _current_event
from faust.types import EventT, TableT

from brokerage.config import Settings
from brokerage.security.clientconf import faust_credentials
from brokerage.security.http import worker_ssl_context

from . import codecs, faust_fixes

# Faust app constructor settings that matter for correctness, with why.
GUARANTEE = "at_least_once"  # effects are idempotent in the domain; see README


def create_app(settings: Settings, bootstrap: str, worker_id: str = "0") -> faust.App:
    codecs.register()
    faust_fixes.install(settings.worker_changelog_buffer, settings.kafka_fetch_wait_ms,
                        settings.kafka_fetch_min_bytes)
    datadir = Path(settings.state_dir).resolve() / "workers" / worker_id
    datadir.parent.mkdir(parents=True, exist_ok=True)
    web_ssl = worker_ssl_context(settings)  # HTTPS on the web port when given a certificate
    app = faust.App(
        settings.app_id,
        broker=f"kafka://{bootstrap}",
        store="rocksdb://",
        datadir=str(datadir),
        processing_guarantee=GUARANTEE,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,  # changelogs too
        web_host=settings.worker_web_advertise,
        web_bind=settings.worker_web_bind,
        web_port=settings.worker_web_port,
        canonical_url=f"{'https' if web_ssl else 'http'}://{settings.worker_web_advertise}:"
                      f"{settings.worker_web_port}",
        web_ssl_context=web_ssl,
        broker_credentials=faust_credentials(settings),  # SASL_SSL when settings say so
        table_standby_replicas=settings.standby_replicas,
        broker_commit_every=settings.worker_commit_every,
        broker_commit_interval=settings.worker_commit_seconds,
        table_key_index_size=settings.worker_key_index,
        producer_linger_ms=int(settings.kafka_linger_ms),  # table changelogs
        producer_compression_type=(None if settings.kafka_compression == "none"
                                   else settings.kafka_compression),
        broker_session_timeout=settings.worker_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, settings.worker_session_timeout_seconds / 3),
        web_in_thread=False,
        producer_max_request_size=1_200_000,  # above the dead-letter topic's message cap
        key_serializer="raw",  # we encode with our own Avro codec, and tables hold its bytes
        value_serializer="raw",
    )
    return app


def trader_table(app: faust.App, settings: Settings) -> TableT[bytes, bytes]:
    """One value per trader: its whole state, so each event's effect is one put."""
    return app.Table(
        "traders",
        default=None,
        partitions=settings.partitions,
        key_type=bytes,
        value_type=bytes,
    )


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    return app.topic(
        *names, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
        allow_empty=True,
    )


def at(event: EventT) -> None:
    """Make `event` faust's current event: tables put reads and writes (and their changelog
    records) in the partition of the current event, and a batch holds many partitions."""
    _current_event.set(weakref.ref(event))
