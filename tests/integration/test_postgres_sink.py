"""Scenario: a whole stack with the PostgreSQL sink (real broker, worker, exchange, API and a
real PostgreSQL) runs a small day of business: deposits and withdrawals of cash and shares,
buys and sells that fill, an amended and a canceled order, one left resting, a reject. We
expect trades, events, fills and ledger entries in PostgreSQL to match the API; each
trader's statement to close at the wallet's balances; reconciliation to agree (and to catch
a tampered ledger); a replay of the whole input log into an empty database, and a sink
killed mid-batch and restarted, to give the very same rows; and SQL injection attempts
through the statement's parameters to be refused or matched literally, changing nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import SecretStr

from brokerage.config import Settings
from brokerage.entrypoints.stack import stack
from brokerage.entrypoints.tokens import bearer
from brokerage.reporting.sources import inputs_behind
from tests.integration.conftest import Stack, stack_settings
from tests.integration.helpers import buy, sell, until, wait_status

pytest_plugins = ["tests.integration.pg_fixtures"]
pytestmark = pytest.mark.integration

TABLES = {  # table -> its key columns, to dump every row in a stable order
    "trades": "trader_id, trade_id", "trade_events": "trader_id, event_key",
    "fills": "trader_id, exec_id", "ledger_entries": "trader_id, entry_id",
    "sink_trader_state": "trader_id", "sink_offsets": "topic, partition",
}


@dataclass
class Day:
    s: Stack
    dsn: str
    traders: list[str]
    trades: dict[str, dict[str, Any]]  # the API's view of every booked trade, settled
    day: str


def dump(dsn: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(dsn) as conn:
        out = {t: conn.execute(f"SELECT * FROM {t} ORDER BY {k}").fetchall()
               for t, k in TABLES.items()}
    out["sink_offsets"] = [r[:3] for r in out["sink_offsets"]]  # without updated_at
    return out


def cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **settings.to_env(), **env}
    return subprocess.run([sys.executable, "-m", "brokerage.cli", *args], env=full,
                          capture_output=True, text=True, timeout=180)


def caught_up(s: Stack, dsn: str) -> bool:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT partition, next_offset FROM sink_offsets WHERE topic = %s",
                            (s.settings.topic_inputs,)).fetchall()
    offsets: dict[int, int] = dict(rows)
    return inputs_behind(s.settings.kafka_bootstrap_servers, s.settings.topic_inputs,
                         offsets) == 0


@pytest.fixture(scope="module")
def day(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory,
        fresh_database: Any) -> Iterator[Day]:
    root: Path = tmp_path_factory.mktemp("pgsink")
    (root / "logs").mkdir()
    dsn = fresh_database("live")
    settings = stack_settings(kafka_bootstrap, root / "state",
                              lambda p: f"{p}-{uuid.uuid4().hex[:8]}").model_copy(
        update={"postgres_dsn": SecretStr(dsn)})
    admin = bearer(settings, "pg-admin", admin=True)
    try:
        with stack(settings, log_dir=str(root / "logs"), reporting=True) as running, \
                httpx.Client(base_url=running.url, timeout=30, headers=admin) as http:
            s = Stack(running.settings, running.url, http, admin, running)
            yield business(s, dsn)
            running.processes.check()  # the sink never died along the way
    except BaseException:
        for log in sorted((root / "logs").glob("*.log")):
            print(f"==== {log.name}\n{log.read_text()[-4000:]}")
        raise


def business(s: Stack, dsn: str) -> Day:
    ann, bob, cid = (f"{n}-{uuid.uuid4().hex[:6]}" for n in ("ann", "bob", "cid"))
    assert s.deposit(ann, amount="10000.00").status_code == 201
    assert s.deposit(bob, amount="1000.00").status_code == 201
    assert s.deposit(bob, shares=50, symbol="GOOG").status_code == 201
    assert s.deposit(cid, amount="500.00").status_code == 201
    booked = [buy(s, ann, "AAPL", 10, "191.00"), sell(s, bob, "GOOG", 10, "170.00"),
              buy(s, ann, "MSFT", 5, "300.00"), buy(s, bob, "GOOG", 2, "100.00")]
    assert all(r.status_code == 201 for r in booked), [r.text for r in booked]
    filled, sold, to_cancel, resting = (r.json()["trade_id"] for r in booked)
    wait_status(s, filled, "FILLED")
    wait_status(s, sold, "FILLED")
    r = sell(s, ann, "AAPL", 4, "189.00")
    assert r.status_code == 201, r.text
    sold2 = r.json()["trade_id"]
    wait_status(s, sold2, "FILLED")
    wait_status(s, to_cancel, "NEW")
    assert s.http.delete(f"/v1/trades/{to_cancel}").status_code in (200, 202)
    wait_status(s, resting, "NEW")
    amend = s.http.patch(f"/v1/trades/{resting}", json={"quantity": 3, "limit_price": "101.00"})
    assert amend.status_code in (200, 202), amend.text
    wait_status(s, to_cancel, "CANCELED")
    until(lambda: wait_status(s, resting, "NEW")["quantity"] == 3, "the amend to be confirmed")
    assert buy(s, cid, "MSFT", 100, "410.00").status_code == 422  # INSUFFICIENT_FUNDS
    assert s.http.post(f"/v1/traders/{ann}/withdrawals",
                       json={"amount": "100.00"}).status_code == 201
    ids = [filled, sold, sold2, to_cancel, resting]
    trades = {t: s.http.get(f"/v1/trades/{t}").json() for t in ids}
    until(lambda: caught_up(s, dsn), "the sink to store every input")
    return Day(s, dsn, [ann, bob, cid], trades, datetime.now(UTC).date().isoformat())


def test_trades_events_fills_and_ledger_match_the_api(day: Day) -> None:
    with psycopg.connect(day.dsn) as conn:
        rows = {r[0]: r[1:] for r in conn.execute(
            "SELECT trade_id, status, cum_qty, quantity FROM trades WHERE trader_id = ANY(%s)",
            (day.traders,))}
        assert rows == {t: (v["status"], v["filled_quantity"], v["quantity"])
                        for t, v in day.trades.items()}
        for tid, t in day.trades.items():
            fills = conn.execute("SELECT exec_id, quantity, price, fee FROM fills"
                                 " WHERE trade_id = %s ORDER BY at_ms, exec_id", (tid,))
            assert [(e, q, Decimal(p) / 100, Decimal(f) / 100) for e, q, p, f in fills] == [
                (f["exec_id"], f["quantity"], Decimal(f["price"]), Decimal(f["fee"]))
                for f in t["fills"]]
            events = conn.execute("SELECT event_id FROM trade_events WHERE trade_id = %s",
                                  (tid,)).fetchall()
            assert ("resp:" + t["client_request_id"],) in events
        moves = conn.execute(
            "SELECT trader_id, kind, symbol, amount FROM ledger_entries WHERE trader_id = ANY(%s)"
            " AND kind IN ('DEPOSIT', 'WITHDRAWAL') ORDER BY at_ms", (day.traders,)).fetchall()
    ann, bob, cid = day.traders
    assert moves == [(ann, "DEPOSIT", "", 1_000_000), (bob, "DEPOSIT", "", 100_000),
                     (bob, "DEPOSIT", "GOOG", 50), (cid, "DEPOSIT", "", 50_000),
                     (ann, "WITHDRAWAL", "", -10_000)]
    history = day.s.http.get(f"/v1/traders/{ann}/history").json()["trades"]
    assert {t["trade_id"] for t in history} == {t for t in day.trades if t.startswith(ann)}


def test_statement_closes_at_the_wallet(day: Day) -> None:
    for trader in day.traders:
        st = day.s.http.get(f"/v1/traders/{trader}/statement", params={"date": day.day})
        assert st.status_code == 200, st.text
        wallet = day.s.http.get(f"/v1/traders/{trader}/wallet").json()
        closing = st.json()["closing"]
        assert {k: closing["cash"][k] for k in ("available", "blocked")} == wallet["cash"]
        assert closing["holdings"] == wallet["holdings"]
        printed = cli(day.s.settings, "statement", "--trader", trader, "--date", day.day,
                      "--json")
        assert printed.returncode == 0, printed.stderr
        assert httpx.Response(200, content=printed.stdout).json() == st.json()
    bob = day.traders[1]
    assert Decimal(day.s.http.get(f"/v1/traders/{bob}/statement", params={"date": day.day})
                   .json()["closing"]["cash"]["blocked"]) > 0  # the resting buy holds cash
    other = bearer(day.s.settings, day.traders[0])  # a trader sees only their own
    forbidden = day.s.http.get(f"/v1/traders/{bob}/statement", params={"date": day.day},
                               headers=other)
    assert forbidden.status_code == 403


def test_sql_injection_through_statement_parameters_is_harmless(day: Day) -> None:
    before = dump(day.dsn)
    ann = day.traders[0]
    attempts = [
        (f"/v1/traders/{ann}/statement", {"date": "2025-01-01'; DROP TABLE trades; --"}),
        (f"/v1/traders/{ann}/statement", {"date": "2025-01-01 OR 1=1"}),
        ("/v1/traders/x'; DROP TABLE ledger_entries; --/statement", {"date": day.day}),
        (f"/v1/traders/{ann}' OR '1'='1/statement", {"date": day.day}),
        (f"/v1/traders/{ann}/history", {"symbol": "AAPL' OR '1'='1"}),
    ]
    for path, params in attempts:
        r = day.s.http.get(path, params=params)
        assert r.status_code in (400, 404), (path, params, r.status_code, r.text)
    # The CLI takes any text: it must be matched literally, as a value.
    for trader in (f"{ann}' OR '1'='1", "x'); DROP TABLE fills; --"):
        out = cli(day.s.settings, "statement", "--trader", trader, "--date", day.day, "--json")
        assert out.returncode == 0, out.stderr
        assert '"trades": []' in out.stdout and '"total": "0.00"' in out.stdout
    assert dump(day.dsn) == before


def test_reconcile_agrees_and_catches_a_tampered_ledger(day: Day) -> None:
    ok = cli(day.s.settings, "reconcile")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "balances agree" in ok.stdout
    ann = day.traders[0]
    with psycopg.connect(day.dsn) as conn:
        conn.execute("INSERT INTO ledger_entries (trader_id, entry_id, account, symbol, bucket,"
                     " kind, amount, cause, at, at_ms) VALUES (%s, 'tamper', 'cash', '',"
                     " 'available', 'ADJUSTMENT', 1, 'test', now(), 0)", (ann,))
    try:
        bad = cli(day.s.settings, "reconcile", "--timeout", "0")
        assert bad.returncode == 1, bad.stdout + bad.stderr
        assert f"DIFFERENT {ann}: cash" in bad.stdout
    finally:
        with psycopg.connect(day.dsn) as conn:
            conn.execute("DELETE FROM ledger_entries WHERE entry_id = 'tamper'")


def test_replay_from_offset_zero_gives_identical_rows(day: Day, fresh_database: Any) -> None:
    dsn = fresh_database("replay")
    out = cli(day.s.settings, "sink", "postgres", "--until-caught-up",
              BROKERAGE_POSTGRES_DSN=dsn, BROKERAGE_SINK_GROUP_ID=f"replay-{uuid.uuid4().hex}")
    assert out.returncode == 0, out.stdout + out.stderr
    assert dump(dsn) == dump(day.dsn)


def test_sink_killed_mid_batch_loses_and_duplicates_nothing(day: Day,
                                                            fresh_database: Any) -> None:
    dsn = fresh_database("crash")
    env = {"BROKERAGE_POSTGRES_DSN": dsn, "BROKERAGE_SINK_GROUP_ID": f"crash-{uuid.uuid4().hex}",
           "BROKERAGE_SINK_BATCH_SIZE": "5"}
    crashed = cli(day.s.settings, "sink", "postgres", "--until-caught-up",
                  BROKERAGE_SINK_CRASH_AFTER_BATCHES="3", **env)
    assert crashed.returncode == -9, crashed.stdout + crashed.stderr  # SIGKILL before commit
    partial, reference = dump(dsn), dump(day.dsn)
    stored = sum(o for _, _, o in partial["sink_offsets"])
    total = sum(o for _, _, o in reference["sink_offsets"])
    assert 0 < stored < total and partial != reference
    again = cli(day.s.settings, "sink", "postgres", "--until-caught-up", **env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert dump(dsn) == reference
