"""The venue over HTTP (docs/exchange-protocol.md), and `run_sim`, its process entry point.

The app and its routes are in routes.py and admin.py; what they share in http_common.py.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import time
from pathlib import Path

from brokerage.domain import refdata as refdata_mod

from .close import close_daily
from .engine import Engine
from .faults import Faults, Listener
from .http_common import HTTP, Handler, metrics, observed
from .journal import Journal, restore
from .market_maker import MarketMakerConfig
from .routes import MAX_LIMIT, MAX_WAIT_MS, make_app
from .venue import Venue

__all__ = ["HTTP", "MAX_LIMIT", "MAX_WAIT_MS", "Handler", "SimServer", "make_app", "metrics",
           "observed", "run_sim"]

log = logging.getLogger(__name__)


class SimServer:
    """Venue + HTTP listener in the current event loop (tests use it directly)."""

    def __init__(self, venue: Venue, faults: Faults, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.venue, self.faults = venue, faults
        self.listener = Listener(make_app(venue, faults, lambda: self.listener), host, port)

    @property
    def url(self) -> str:
        return f"http://{self.listener.host}:{self.listener.port}"

    async def start(self) -> None:
        await self.listener.start()

    async def stop(self) -> None:
        self.venue.begin_close()
        await self.listener.stop()
        await self.venue.close()


def run_sim(port: int, snapshot: Path | None, seed: int, latency_ms: int, reject_rate: float,
            error_rate: float = 0.0, host: str = "127.0.0.1",
            mm: MarketMakerConfig | None = None, refdata_path: Path | None = None,
            fsync: bool = True, max_reports: int = 100_000,
            compact_every: int = 500_000, close_at: time | None = None) -> None:
    """Run the exchange simulator until SIGINT/SIGTERM. With `snapshot`, its state survives
    kill -9 (see journal.py): FILE holds the snapshot, FILE.journal the instructions since.
    With `close_at` (UTC), DAY orders expire at that time every day (close.py)."""
    asyncio.run(_serve(port, snapshot, seed, latency_ms, reject_rate, error_rate, host, mm,
                       refdata_path, fsync, max_reports, compact_every, close_at))


async def _serve(port: int, snapshot: Path | None, seed: int, latency_ms: int,
                 reject_rate: float, error_rate: float, host: str,
                 mm: MarketMakerConfig | None, refdata_path: Path | None, fsync: bool,
                 max_reports: int, compact_every: int, close_at: time | None) -> None:
    refdata = refdata_mod.load(refdata_path)
    journal: Journal | None = None
    if snapshot is None:
        engine = Engine(refdata, seed, reject_rate, mm, max_reports)
    else:
        engine, journal = restore(refdata, snapshot, seed, reject_rate, mm, fsync, max_reports)
    stop = asyncio.Event()
    venue = Venue(engine, journal, compact_every, on_fatal=stop.set)
    server = SimServer(venue, Faults(latency_ms, error_rate, seed), host, port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    log.info("exchange simulator on %s (seq=%d, snapshot=%s, close=%s UTC)", server.url,
             engine.seq, snapshot, close_at or "none")
    closer = asyncio.create_task(close_daily(venue, close_at, stop)) if close_at else None
    try:
        await stop.wait()
    finally:
        if closer:
            await closer
        await server.stop()
        log.info("exchange simulator stopped (seq=%d)", engine.seq)
