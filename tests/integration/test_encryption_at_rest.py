"""Scenario: a stack whose processes have a state key ring trades for a trader with an
unmistakable balance and request id. We expect the API to serve the right wallet, while
neither the worker's RocksDB files on disk nor the changelog topic (as consumers read it and
as the broker stores it) contain those values in plaintext; and a wrong key to give a clear
error, not garbage."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from brokerage.adapters.topic_reader import read_all
from brokerage.codec import state_log
from brokerage.codec.state import state_plain
from brokerage.entrypoints.stack import stack
from brokerage.entrypoints.tokens import bearer
from brokerage.localkafka import BrokerInfo
from brokerage.security import envelope, keys
from brokerage.security.keys import DecryptError
from brokerage.service.replay import latest as replay_latest
from brokerage.service.verify import changelog_topic
from tests.integration.conftest import Stack, stack_settings
from tests.integration.helpers import buy, until, wait_status, wallet

pytestmark = pytest.mark.integration

BALANCE_CENTS = 7_654_321_987  # deposited: 76,543,219.87


def _varint(n: int) -> bytes:
    z, out = n << 1, bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


@pytest.fixture
def keyed_stack(kafka_bootstrap: str, tmp_path: Path,
                unique_name: Callable[[str], str]) -> Iterator[Stack]:
    ring = keys.with_new_key(None, "k1")
    keys.write_private(tmp_path / "keys.json", keys.dump(ring))
    s = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"state_keys_file": tmp_path / "keys.json"})
    keys.install(ring)
    try:
        with stack(s, log_dir=str(tmp_path)) as running, httpx.Client(
                base_url=running.url, timeout=30) as http:
            admin = bearer(s, "tests-admin", admin=True)
            http.headers.update(admin)
            yield Stack(s, running.url, http, admin, running)
    finally:
        keys.reset()


def test_balances_are_encrypted_in_rocksdb_and_the_changelog(
        keyed_stack: Stack, local_broker: BrokerInfo | None) -> None:
    s = keyed_stack
    t = f"t-enc-{uuid.uuid4().hex[:8]}"
    request_id = f"plaintext-marker-{uuid.uuid4().hex}"
    assert s.deposit(t, amount="76543219.87").status_code == 201
    r = buy(s, t, "AAPL", 10, "191.00", client_request_id=request_id)
    assert r.status_code == 201, r.text
    wait_status(s, r.json()["trade_id"], "FILLED")
    assert wallet(s, t)["holdings"]["AAPL"]["available"] == 10

    topic = changelog_topic(s.settings)
    bootstrap = s.settings.kafka_bootstrap_servers

    def stored() -> tuple[state_log.Stored, bytes] | None:
        table = replay_latest(read_all(bootstrap, topic))
        found = state_log.load(t.encode(), table.get) if t.encode() in table else None
        if found is None or request_id not in found.state.requests:
            return None
        # the trader's records: its head and the snapshot it builds on, if any
        return found, b"".join(state_plain(v) for k, v in table.items() if k.startswith(
            t.encode()))

    found, plain = until(stored, "the trader's filled state in the changelog", 60)
    state, sealed = found.state, found.raw
    assert state.totals.deposited == BALANCE_CENTS
    markers = [request_id.encode(), _varint(BALANCE_CENTS), _varint(state.cash_available)]
    # The markers are in the plaintext (so the scans below could find them) ...
    assert all(m in plain for m in markers)
    # ... but not in anything stored.
    assert envelope.is_sealed(sealed)
    for m in read_all(bootstrap, topic):
        raw = m.value() or b""
        assert envelope.is_sealed(raw) and not any(x in raw for x in markers)

    worker_dir = s.settings.state_dir / "workers"
    files = [p for p in worker_dir.rglob("*") if p.is_file()]
    on_disk = b"".join(p.read_bytes() for p in files)
    assert t.encode() in on_disk, "the scan must see the table (its keys are plain)"
    assert not any(x in on_disk for x in markers), "plaintext state in RocksDB files"

    if local_broker is not None:  # the broker's own segment files of the changelog
        segments = b"".join(p.read_bytes() for p in (local_broker.data_dir / "data").glob(
            f"{topic}-*/*.log"))
        assert t.encode() in segments
        assert not any(x in segments for x in markers), "plaintext state in Kafka's log"

    # A reader with the wrong key gets a clear error, not garbage.
    keys.install(keys.with_new_key(None, "k1"))
    with pytest.raises(DecryptError, match="'k1'"):
        state_plain(sealed)
