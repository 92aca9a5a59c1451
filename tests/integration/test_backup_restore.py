"""Scenario: traders deposit and trade on a running stack; we take a backup while it runs,
trade some more, then stop the worker and destroy its state, restore the backup into it and
start it again. We expect the backup to be intact (checksums), the restored tables to be the
backed-up balances at the recorded changelog offsets, the worker to catch up from the
changelog to the balances from before the destruction, and the verifier to pass."""

from __future__ import annotations

import shutil
import signal
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from brokerage.backup import ledger, manifest, restore, snapshot, tables
from brokerage.backup.manifest import BackupError
from brokerage.codec.state_log import states_of
from brokerage.domain import refdata
from brokerage.entrypoints.stack import wait_ready
from brokerage.service.verify import verify
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import buy, sell, until, wait_status, wallet

pytestmark = pytest.mark.integration


def trade_round(s: Stack, traders: list[str], qty: int) -> None:
    for t in traders:
        r = buy(s, t, "AAPL", qty, "191.00")
        assert r.status_code == 201, r.text
        wait_status(s, r.json()["trade_id"], "FILLED")
    r = sell(s, traders[0], "AAPL", 1, "189.00")
    assert r.status_code == 201, r.text
    wait_status(s, r.json()["trade_id"], "FILLED")


def balances(s: Stack, traders: list[str]) -> dict[str, Any]:
    return {t: (w["cash"], w["holdings"]) for t in traders for w in [wallet(s, t)]}


def quiet(s: Stack) -> bool:
    return not verify(s.settings.kafka_bootstrap_servers, s.settings, refdata.load()).violations


def test_backup_destroy_restore_catch_up(running_stack: Stack, tmp_path: Path) -> None:
    s, traders = running_stack, [trader() for _ in range(3)]
    for t in traders:
        assert s.deposit(t, amount="10000.00").status_code == 201
    trade_round(s, traders, 5)
    until(lambda: quiet(s), "a quiescent system before the backup", timeout=60, every=1)
    at_backup = balances(s, traders)

    out = tmp_path / "backup"
    m = snapshot.take(s.settings.kafka_bootstrap_servers, s.settings, out)
    assert manifest.check(out) == m and m["offsets"]
    rows = {r["trader_id"]: r for r in ledger.read(out, m["ledger"])}
    assert set(traders) <= set(rows)
    assert rows[traders[1]]["holdings"] == {"AAPL": {"available": 5, "blocked": 0}}

    trade_round(s, traders, 2)  # after the backup: the restored worker must catch these up
    assert s.deposit(traders[2], amount="123.45").status_code == 201
    until(lambda: quiet(s), "a quiescent system before the destruction", timeout=60, every=1)
    before = balances(s, traders)
    assert before != at_backup

    live_dir = tables.worker_tables_dir(s.settings, "0")
    assert live_dir.is_dir(), "the restore target must be where the worker keeps its tables"
    with pytest.raises(BackupError, match="running"):
        restore.restore(out, s.settings, "0", force=True)
    s.running.processes.kill("worker", signal.SIGTERM)
    shutil.rmtree(s.settings.state_dir / "workers" / "0")

    restore.restore(out, s.settings, "0")
    for p, offset in m["offsets"].items():  # what the worker will start from
        values, persisted = tables.read_partition(live_dir / tables.db_name(int(p)))
        assert persisted == offset
        for st in states_of(values).values():
            if st.trader_id in traders:
                cash = at_backup[st.trader_id][0]
                assert Decimal(st.cash_available).scaleb(-2) == Decimal(cash["available"])

    s.running.processes.start("worker")
    wait_ready(s.running)
    until(lambda: balances(s, traders) == before, "the restored worker to catch up", 60)
    until(lambda: quiet(s), "the verifier to pass after the restore", timeout=60, every=1)

