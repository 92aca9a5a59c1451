"""One PostgreSQL client process of the baseline: its own connection, prepared statements,
its share of the traders (so each trader's requests stay in order, as in a partition)."""

from __future__ import annotations

import time
from collections import Counter
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event

import psycopg

from .pgschema import CALL

Row = tuple[str, str, str, str | None, str | None, str | None, int | None, int | None,
            int | None]


def serve(conn: Connection, dsn: str, rows: list[Row], batch: int, go: Event, done: Event
          ) -> None:
    """Connect, say ready, wait for `go`, run every row, send back (end time, latencies,
    outcomes), stay connected until `done` (so the server's CPU can be read). `batch` > 1:
    that many requests per round trip and transaction (pipeline mode)."""
    with psycopg.connect(dsn, autocommit=True, prepare_threshold=0) as db:
        db.execute("SELECT 1")
        conn.send("ready")
        go.wait()
        lat: list[float] = []
        outcomes: Counter[str] = Counter()
        if batch <= 1:
            for r in rows:
                t = time.monotonic()
                row = db.execute(CALL, r).fetchone()
                lat.append(time.monotonic() - t)
                outcomes[row[0] if row else "?"] += 1
        else:
            with db.pipeline() as pipe:
                for i in range(0, len(rows), batch):
                    t = time.monotonic()
                    db.execute("BEGIN")
                    curs = [db.execute(CALL, r) for r in rows[i:i + batch]]
                    db.execute("COMMIT")
                    pipe.sync()
                    for c in curs:
                        row = c.fetchone()
                        outcomes[row[0] if row else "?"] += 1
                    lat.extend([time.monotonic() - t] * len(curs))
        conn.send((time.monotonic(), lat, dict(outcomes)))
        done.wait(60)
