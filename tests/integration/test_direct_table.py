"""Scenario: traders deposit and trade on a running stack, whose worker writes the trader
table's RocksDB and changelog records itself (streams/direct.py), not through faust's table
API. Once the system is quiet we read the worker's store (read-only, while it runs) and the
changelog. We expect every partition's store to hold exactly the changelog's latest value
per key and, after a commit, its persisted offset (what faust's recovery starts after) to be
the changelog's last offset; and a worker whose state was destroyed to rebuild the same
wallets from the changelog alone."""

from __future__ import annotations

import shutil
import signal

import pytest

from brokerage.backup import tables
from brokerage.backup.snapshot import read_changelog
from brokerage.entrypoints.stack import wait_ready
from brokerage.service.verify import changelog_topic
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import buy, until, wait_status, wallet
from tests.integration.test_backup_restore import quiet

pytestmark = pytest.mark.integration


def mismatches(s: Stack) -> list[str]:
    """What differs between the worker's store and the changelog, per written partition."""
    log = read_changelog(s.settings.kafka_bootstrap_servers, changelog_topic(s.settings))
    root, out = tables.worker_tables_dir(s.settings, "0"), []
    written = {p: part for p, part in log.items() if part.end > 0}
    if not written:
        return ["no changelog records"]
    for p, part in written.items():
        values, persisted = tables.read_partition(root / tables.db_name(p), read_only=True)
        if persisted != part.end - 1:
            out.append(f"partition {p}: persisted {persisted}, changelog ends at {part.end}")
        if values != {k: v for k, v in part.values.items() if v is not None}:
            out.append(f"partition {p}: values differ")
    return out


def test_store_matches_changelog_and_recovers_from_it(running_stack: Stack) -> None:
    s, traders = running_stack, [trader() for _ in range(6)]
    for t in traders:
        assert s.deposit(t, amount="5000.00").status_code == 201
    for t in traders[:3]:
        r = buy(s, t, "AAPL", 3, "191.00")
        assert r.status_code == 201, r.text
        wait_status(s, r.json()["trade_id"], "FILLED")
    until(lambda: quiet(s), "a quiescent system", timeout=60, every=1)
    before = {t: wallet(s, t) for t in traders}
    # The persisted offsets move at the commit after the last write (commit timer: 2.8 s).
    until(lambda: not mismatches(s), "the store to match the changelog", timeout=30, every=1)

    s.running.processes.kill("worker", signal.SIGTERM)
    shutil.rmtree(s.settings.state_dir / "workers" / "0")
    s.running.processes.start("worker")
    wait_ready(s.running)
    until(lambda: {t: wallet(s, t) for t in traders} == before,
          "the wallets rebuilt from the changelog", timeout=60)
