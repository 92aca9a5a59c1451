"""One settings class for every process. Env prefix BROKERAGE_; KAFKA_BOOTSTRAP_SERVERS honoured."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BROKERAGE_", extra="ignore")

    # Empty means "use the embedded local broker" (brokerage kafka start / brokerage up).
    kafka_bootstrap_servers: str = Field(
        default="",
        validation_alias=AliasChoices(
            "KAFKA_BOOTSTRAP_SERVERS", "BROKERAGE_KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    kafka_version: str = "4.4.0"
    kafka_port: int = 9092
    kafka_heap: str = "512m"
    # Where local state lives: broker data, RocksDB tables, pid files. Ignored by git.
    state_dir: Path = Path(".brokerage")
    kafka_cache_dir: Path = Path.home() / ".cache" / "brokerage" / "kafka"

    partitions: int = 8
    topic_requests: str = "trade-requests"
    topic_responses: str = "trade-responses"
    topic_orders: str = "orders"
    topic_executions: str = "executions"
    topic_dead_letters: str = "dead-letters"
    # The merged, ordered log of requests and executions per trader (see README: replay).
    topic_inputs: str = "trader-inputs"
    # API keys of the Alpaca-compatible API (/v2): compacted, keyed by key id (api_key.avsc).
    topic_api_keys: str = "api-keys"
    standby_replicas: int = 1
    # How long a dead worker (or sequencer, connector, sink) keeps its partitions before the
    # group moves them (kill -9).
    worker_session_timeout_seconds: float = 10.0
    # The rules agent takes inputs in batches: each trader's state is written once per batch.
    # A batch closes when full or after this long (the latency it may add at low load).
    # It counts messages of the input log, i.e. frames of up to ~1,000 inputs each: on a
    # backlog a batch is up to this many full frames (the worker yields to its event loop
    # every 1,000 inputs meanwhile: probes, timers).
    worker_batch_max: int = 100
    worker_batch_seconds: float = 0.005
    # States are written behind (as Kafka Streams' record cache does): a trader changed by
    # several batches is written about once this long, spread over the batches; an input
    # is acknowledged, so committed, once the states it changed are written (streams/held.py).
    # Reads on the worker see the unwritten states. 0: every batch.
    worker_state_flush_seconds: float = Field(default=2.5, ge=0.0)
    worker_stop_seconds: float = Field(default=20.0, gt=0)  # then it leaves (streams/shutdown.py)
    # faust commits inline in its delivery loop every N acknowledged inputs, stalling it for
    # a flush and a round trip; its 2.8 s commit timer runs beside the loop. Only a crash's
    # re-reading grows (harmless: the rules de-duplicate).
    worker_commit_every: int = 20_000
    # faust's commit timer (its default): a commit takes the inputs acknowledged so far.
    worker_commit_seconds: float = Field(default=2.8, gt=0)
    # faust stops delivering inputs while more table writes than this wait to be sent; its
    # default (100) stalled the worker at nearly every batch (one write per trader).
    worker_changelog_buffer: int = 5_000
    # faust's store remembers each key's partition for this many keys (its default: 1,000);
    # a key it forgot is deleted from every partition's RocksDB, which is how old snapshots
    # are removed (~3 keys per trader; ~200 bytes each).
    worker_key_index: int = 100_000
    # Batching in the pipeline's Kafka clients (sequencer, worker, connector): producers wait
    # up to linger for a fuller request; consumers let the broker wait up to fetch_wait for
    # fetch_min_bytes. Fewer, fuller requests: the broker's CPU goes per request, and it
    # shares the machine (README: Performance). Each adds at most its wait to a hop.
    kafka_linger_ms: float = Field(default=5.0, ge=0.0)
    kafka_fetch_wait_ms: int = Field(default=10, ge=0)
    kafka_fetch_min_bytes: int = Field(default=16_384, ge=1)
    # The pipeline producers' codec. None by default: on one host it only moves CPU from the
    # network to the broker and clients (README: Performance); between hosts it saves bytes.
    # Every codec is readable by every consumer here, whatever a producer or topic chose.
    kafka_compression: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "none"
    # The sequencer gathers inputs for up to this long after the first of a batch: bigger
    # frames, and the worker pays faust's per-message cost (~0.4 ms) per frame, not per input.
    # At 1,000 requests/s frames had ~1-2 inputs and the worker drowned in them (README).
    # Only while inputs come faster than `_above` a second: at low load a wait is all latency.
    sequencer_batch_ms: float = Field(default=25.0, ge=0.0)
    sequencer_batch_above: float = Field(default=150.0, ge=0.0)
    sequencer_batch_max: int = Field(default=1000, ge=1)  # inputs per batch at most

    exchange_host: str = "127.0.0.1"  # where the simulator listens
    exchange_port: int = 7070
    exchange_url: str = "http://127.0.0.1:7070"
    exchange_snapshot: Path | None = None  # None: <state_dir>/exchange/venue.snapshot
    exchange_seed: int = 7
    exchange_latency_ms: int = 0
    exchange_reject_rate: float = 0.0
    exchange_error_rate: float = 0.0
    exchange_mm_levels: int = 5
    exchange_mm_qty: int = 100
    exchange_mm_spacing_bps: int = 5
    exchange_fsync: bool = True
    # The venue's daily close, UTC "HH:MM[:SS]": resting DAY orders expire then, and the
    # connector tells the venue when each DAY order's session ends (docs/exchange-protocol.md).
    # Empty: only `POST /admin/end-of-day` closes the day (tests and the demo run at any hour).
    exchange_close_utc: str = ""
    connector_breaker_failures: int = 5
    connector_breaker_reset_seconds: float = 2.0
    connector_metrics_port: int = 7071
    sequencer_metrics_port: int = 7072
    sink_metrics_port: int = 7073

    # Operating (README: Operating). Logs: one JSON object per line on stderr ("text" for a
    # person); log_events adds a line per event handled (request, order, fill) per process, for
    # the share log_events_sample of traces (chosen by trace id: a sampled trade is logged
    # whole, everywhere; refusals and warnings always). At volume, 0.01 (README: Operating).
    log_format: str = "json"
    log_level: str = "INFO"
    log_events: bool = True
    log_events_sample: float = Field(default=1.0, ge=0.0, le=1.0)
    service_name: str = ""  # empty: the command (worker, api, connector, ...)
    # CPU priority (an os.nice increment) a service takes at start. On one host the local
    # stack runs the exchange simulator, connector and sequencer at stack_helper_nice, so
    # the worker (the bottleneck) gets a core first (docs/performance-history.md, fifth round).
    nice: int = Field(default=0, ge=0, le=19)
    stack_helper_nice: int = Field(default=10, ge=0, le=19)
    otlp_endpoint: str = ""  # e.g. http://collector:4318: export spans (the `otel` extra)
    # Services' cyclic GC (observability/gcpause.py): CPython's default (700, 10, 10) paused
    # the worker ~250 ms about once a second under load. A batch's objects live through it,
    # so a young collection inside a batch traverses them all: at 10,000 the worker's
    # collections cost ~10 µs per input, at 50,000 ~1.5 (docs/performance-history.md, round
    # 16). JSON: BROKERAGE_GC_THRESHOLDS=[700,10,10]
    gc_thresholds: tuple[int, int, int] = (50_000, 10, 100)
    # The Rust extension (native/, built by `make setup`), when installed: the Avro codec and
    # the rules' record copies. Off: the Python code, which stays the reference
    # (brokerage/native.py).
    native: bool = True
    metrics_bind: str = "127.0.0.1"  # where the sequencer's and connector's probes listen
    # Our topics in a cluster: 3 replicas and min ISR 2 survive one broker down.
    replication_factor: int = 1
    min_insync_replicas: int = 1

    app_id: str = "brokerage"
    worker_web_port: int = 6066
    worker_web_bind: str = "127.0.0.1"
    worker_web_advertise: str = "127.0.0.1"  # how other workers reach this one (table routing)
    worker_urls: str = "http://127.0.0.1:6066"  # comma-separated; the API reads tables through them
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    api_response_timeout_seconds: float = 5.0
    # HMAC key for API bearer tokens (JWT HS256). The default is for local use only.
    auth_secret: SecretStr = SecretStr("dev-only-secret-change-me-0123456789abcdef")
    auth_token_ttl_seconds: int = 24 * 3600
    rate_trader_per_second: float = 50.0
    rate_trader_burst: int = 100
    rate_ip_per_second: float = 200.0
    rate_ip_burst: int = 400
    api_max_body_bytes: int = 16 * 1024

    refdata_path: Path | None = None  # None: the reference data shipped in brokerage/domain

    # The reporting store (PostgreSQL, fed by `brokerage sink postgres`). None: the local
    # server in <state_dir>/postgres (`brokerage postgres start`; `brokerage up` starts it).
    postgres_dsn: SecretStr | None = None
    postgres_port: int = 5433
    sink_group_id: str = ""  # empty: "<app_id>-sink-postgres"
    sink_batch_size: int = 2000
    sink_crash_after_batches: int = 0  # fault injection (tests): SIGKILL itself before commit

    # Security (README: Security). Kafka: PLAINTEXT, or SASL_SSL with SCRAM; each process
    # signs in as its own user, with its password or one from the credentials file that
    # `brokerage kafka start --secure` writes (JSON user -> password, mode 0600).
    kafka_security_protocol: str = "PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-512"
    kafka_username: str = ""
    kafka_password: SecretStr | None = None
    kafka_credentials_file: Path | None = None
    kafka_ssl_cafile: Path | None = None  # CA that signed the broker's certificate
    # HTTPS for the API, and for the workers' web port (table reads), when given a cert.
    api_ssl_certfile: Path | None = None
    api_ssl_keyfile: Path | None = None
    worker_ssl_certfile: Path | None = None
    worker_ssl_keyfile: Path | None = None  # clients trust its CA through SSL_CERT_FILE
    # Trader states at rest (RocksDB, changelog, backups): AES-256-GCM key ring, JSON.
    state_keys_file: Path | None = None
    state_keys: SecretStr | None = None

    def to_env(self) -> dict[str, str]:
        """These settings as environment variables, for child processes."""
        env = {}
        for name, value in self.model_dump().items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if isinstance(value, (tuple, list, dict)):  # what pydantic-settings reads: JSON
                value = json.dumps(value)
            if value is not None:
                env[f"BROKERAGE_{name.upper()}"] = str(value)
        if self.kafka_bootstrap_servers:
            env["KAFKA_BOOTSTRAP_SERVERS"] = self.kafka_bootstrap_servers
        return env

    def worker_url_list(self) -> list[str]:
        return [u.strip().rstrip("/") for u in self.worker_urls.split(",") if u.strip()]

    @property
    def kafka_data_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def postgres_data_dir(self) -> Path:
        return self.state_dir / "postgres"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
