"""API keys on a compacted Kafka topic: every API replica reads them all into memory.

`publish` is what `brokerage apikey` calls; `KeyStore` is what the API reads. A replica
sees a new or revoked key within a poll (~50 ms); a lookup that misses waits a little for it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from api.auth import Principal
from brokerage.adapters.kafka import consumer, create_topics, producer

from . import keys

log = logging.getLogger("brokerage.api.keys")
COMPACTED = {"cleanup.policy": "compact"}
MISS_WAIT_SECONDS = 1.0  # a key created just now; also slows down guessing


def ensure_topic(bootstrap: str, topic: str, partitions: int) -> None:
    create_topics(bootstrap, [topic], partitions, configs={topic: COMPACTED})


def publish(bootstrap: str, topic: str, key_id: str, rec: keys.KeyRecord | None) -> None:
    """Store a key (or, with None, a tombstone that revokes it) and wait for the broker."""
    p = producer(bootstrap)
    p.produce(topic, None if rec is None else keys.encode(rec), key=key_id.encode())
    if p.flush(30):
        raise RuntimeError(f"could not write to {topic}")


class KeyStore:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self._topic = topic
        self._consumer = consumer(bootstrap, f"api-keys-{uuid.uuid4().hex}",
                                  **{"enable.partition.eof": False})
        self._keys: dict[str, keys.KeyRecord] = {}
        self._behind: dict[int, int] = {}  # partition -> high watermark at start-up
        self.loaded = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="api-keys", daemon=True)

    def start(self, timeout: float = 30) -> None:
        """Read every key there is before answering (bounded), then follow the topic."""
        meta = self._consumer.list_topics(self._topic, timeout=30).topics[self._topic]
        if meta.error:
            raise RuntimeError(f"api key topic {self._topic}: {meta.error}")
        for p in meta.partitions:
            low, high = self._consumer.get_watermark_offsets(
                TopicPartition(self._topic, p), timeout=30)
            if high > low:
                self._behind[p] = high
        self._consumer.assign([TopicPartition(self._topic, p, OFFSET_BEGINNING)
                               for p in meta.partitions])
        if not self._behind:
            self.loaded.set()
        self._thread.start()
        if not self.loaded.wait(timeout):
            raise RuntimeError(f"could not read the api keys in {self._topic} in {timeout} s")

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._consumer.close()

    def get(self, key_id: str) -> keys.KeyRecord | None:
        return self._keys.get(key_id)

    async def authenticate(self, key_id: str, secret: str) -> Principal | None:
        rec = self.get(key_id)
        waited = 0.0
        while rec is None and waited < MISS_WAIT_SECONDS:
            await asyncio.sleep(0.1)
            waited += 0.1
            rec = self.get(key_id)
        if rec is None or not rec.matches(secret):
            return None
        return rec.principal()

    def _run(self) -> None:
        while not self._stop.is_set():
            for msg in self._consumer.consume(200, timeout=0.05):
                if msg.error():
                    continue
                self._apply(msg.key(), msg.value())
            if self._behind:
                self._check_loaded()

    def _check_loaded(self) -> None:
        """Loaded once every partition's position reaches its start-up high watermark (the
        position, not the last offset seen: compaction leaves gaps)."""
        tps = self._consumer.position([TopicPartition(self._topic, p) for p in self._behind])
        for tp in tps:
            if tp.offset >= self._behind[tp.partition]:
                del self._behind[tp.partition]
        if not self._behind:
            self.loaded.set()

    def _apply(self, key: bytes | None, value: bytes | None) -> None:
        if not key:
            return
        key_id = key.decode("utf-8", "replace")
        if value is None:
            self._keys.pop(key_id, None)
            return
        try:
            self._keys[key_id] = keys.decode(value)
        except (ValueError, KeyError, TypeError) as exc:  # never log the record itself
            log.warning("unreadable api key record for %s: %s", key_id, type(exc).__name__)
