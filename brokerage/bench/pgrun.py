"""The PostgreSQL baseline: a local server from Debian's packages in a temporary directory
(brokerage.localpg), the same request mix, several client processes; variants of connection
count and batching, each from a fresh schema with the traders funded first (not timed)."""

from __future__ import annotations

import multiprocessing as mp
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import psycopg

from brokerage import localpg
from brokerage.codec import avro
from brokerage.codec.models import MalformedRecord, event_from_request_record
from brokerage.domain import events as ev
from brokerage.domain.refdata import RefData
from brokerage.domain.requests import trade_id_for

from . import pgclient, stats
from .mix import Request, Workload
from .pgschema import RESET, ddl, instruments

SERVER = {"shared_buffers": "256MB", "wal_buffers": "16MB", "max_wal_size": "4GB",
          "checkpoint_timeout": "30min", "max_connections": "50"}


def row_of(r: Request) -> pgclient.Row:
    """The function's arguments for one request of the mix."""
    rec = avro.decode("trade_request", r.value)
    try:
        e = event_from_request_record(rec, r.key)
    except MalformedRecord:
        return ("Malformed", r.request_id, rec["trader_id"], None, None, None, None, None, None)
    kind, rid, tr = type(e).__name__, e.request_id, e.trader_id
    if isinstance(e, ev.NewTrade):
        return (kind, rid, tr, trade_id_for(tr, rid), e.side.value, e.symbol, e.quantity,
                e.limit_price, None)
    if isinstance(e, ev.AmendTrade | ev.CancelTrade):
        q = e.quantity if isinstance(e, ev.AmendTrade) else None
        px = e.limit_price if isinstance(e, ev.AmendTrade) else None
        return (kind, rid, tr, e.trade_id, None, None, q, px, None)
    assert isinstance(e, ev.Deposit | ev.Withdraw)
    return (kind, rid, tr, None, None, e.symbol, None, None, e.amount)


def run_postgres(root: Path, work: Workload, rd: RefData, connections: list[int], batch: int,
                 sync_commit: bool, progress: Callable[[str, int, int], None]
                 ) -> dict[str, Any]:
    data = root / "postgres"
    options = {**SERVER, "synchronous_commit": "on" if sync_commit else "off"}
    dsn = localpg.start(data, localpg.free_port(), options=options)
    try:
        with psycopg.connect(dsn, autocommit=True) as db:
            db.execute(ddl(rd).encode())
            db.cursor().executemany("INSERT INTO instruments VALUES (%s, %s, %s)",
                                    instruments(rd))
        deposits, mix = [row_of(r) for r in work.deposits], [row_of(r) for r in work.mix]
        plan = [(c, 1) for c in connections]
        variants = []
        for i, (conns, b) in enumerate(plan):
            progress(f"postgres {conns} conn, batch {b}", i, len(plan) + 1)
            variants.append(_variant(dsn, deposits, mix, conns, b))
        best_conns = max(variants, key=lambda v: v["per_s"])["connections"]
        progress(f"postgres {best_conns} conn, batch {batch}", len(plan), len(plan) + 1)
        variants.append(_variant(dsn, deposits, mix, best_conns, batch))
        server = localpg.status(data)
        return {"synchronous_commit": sync_commit, "server_options": options,
                "version": _version(dsn), "variants": variants,
                "best": max(variants, key=lambda v: v["per_s"]),
                "pid": server.pid if server else None}
    finally:
        localpg.stop(data)


def _variant(dsn: str, deposits: list[pgclient.Row], mix: list[pgclient.Row], conns: int,
             batch: int) -> dict[str, Any]:
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute(RESET)
    _clients(dsn, deposits, conns, 100, None)  # fund the traders: not timed
    with psycopg.connect(dsn, autocommit=True) as db:
        db.execute("ANALYZE")
        db.execute("CHECKPOINT")  # a checkpoint mid-run would be luck, good or bad
        server = psutil.Process(db.info.backend_pid).parent()
    t0, end, lat, outcomes, cpu = _clients(dsn, mix, conns, batch, server)
    return {"connections": conns, "batch": batch, "requests": len(mix),
            "seconds": end - t0, "per_s": stats.rate(len(lat), t0, end),
            "latency": stats.latency_summary(lat), "outcomes": outcomes,
            "server_cpu_cores": cpu / (end - t0) if end > t0 else 0.0}


def _clients(dsn: str, rows: list[pgclient.Row], conns: int, batch: int,
             server: psutil.Process | None
             ) -> tuple[float, float, list[float], dict[str, int], float]:
    """Run `rows` over `conns` client processes, each trader on one of them. (start, end,
    latencies, outcomes, CPU seconds the server spent meanwhile)."""
    ctx = mp.get_context("spawn")
    shares: list[list[pgclient.Row]] = [[] for _ in range(conns)]
    for r in rows:
        shares[zlib.crc32(r[2].encode()) % conns].append(r)
    go, done = ctx.Event(), ctx.Event()
    pipes, procs = [], []
    for share in shares:
        mine, theirs = ctx.Pipe()
        p = ctx.Process(target=pgclient.serve, args=(theirs, dsn, share, batch, go, done),
                        daemon=True)
        p.start()
        pipes.append(mine)
        procs.append(p)
    try:
        for m in pipes:
            if not m.poll(60) or m.recv() != "ready":
                raise RuntimeError("a PostgreSQL client did not connect")
        cpu0 = _cpu(server) if server else 0.0
        t0 = time.monotonic()
        go.set()
        ends, lat, outcomes = [], [], Counter[str]()
        for m in pipes:
            end, ls, oc = m.recv()
            ends.append(end)
            lat.extend(ls)
            outcomes.update(oc)
        cpu = _cpu(server) - cpu0 if server else 0.0
    finally:
        done.set()
        for p in procs:
            p.join(10)
    return t0, max(ends), lat, dict(outcomes), cpu


def _cpu(server: psutil.Process) -> float:
    """CPU seconds of the postmaster and all its children (backends, WAL writer, ...)."""
    total = 0.0
    for p in [server, *server.children(recursive=True)]:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


def _version(dsn: str) -> str:
    with psycopg.connect(dsn) as db:
        row = db.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
