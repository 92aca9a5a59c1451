"""The venue over HTTP (docs/exchange-protocol.md), and `run_sim`, its process entry point."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import time
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as AiohttpHandler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from brokerage.domain import refdata as refdata_mod
from brokerage.observability import trace
from brokerage.observability.logs import EVENTS

from .batch import execute_all, parse_items
from .close import close_daily
from .engine import Engine
from .faults import Faults, Listener, parse_faults
from .journal import Journal, restore
from .market_maker import MarketMakerConfig
from .protocol import (
    CONFIG,
    EOD,
    BadRequest,
    Instr,
    parse_cancel,
    parse_new,
    parse_replace,
)
from .venue import Venue

log = logging.getLogger(__name__)
events = logging.getLogger(EVENTS)
HTTP = Counter("brokerage_exchange_http_requests_total", "Exchange simulator HTTP requests",
               ["route", "status"])


@web.middleware
async def observed(request: web.Request, handler: AiohttpHandler) -> web.StreamResponse:
    """Instructions carry the connector's trace (W3C traceparent): log within it, count."""
    ctx = trace.parse(request.headers.get(trace.HEADER))
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    with trace.bound(ctx):
        resp = await handler(request)
        if request.method == "POST" and ctx is not None:
            events.info("%s %s -> %d", request.method, request.path, resp.status)
    HTTP.labels(name, str(resp.status)).inc()
    return resp


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})
MAX_LIMIT, MAX_WAIT_MS = 5000, 30_000


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _query_int(q: Any, key: str, default: int, hi: int) -> int:
    try:
        return max(0, min(hi, int(q.get(key, default))))
    except ValueError:
        raise BadRequest(f"{key}: an integer is required") from None


def make_app(venue: Venue, faults: Faults,
             listener: Callable[[], Listener | None]) -> web.Application:
    """The HTTP app; `listener()` gives the Listener that serves it (for outages)."""
    eng = venue.engine

    def guarded(fn: Handler, errors: bool = True) -> Handler:
        async def handle(request: web.Request) -> web.Response:
            if errors and faults.error():
                return _reply(503, {"error": "simulated transient error"})
            try:
                return await fn(request)
            except BadRequest as exc:
                return _reply(400, {"error": str(exc)})
        return handle

    async def body(request: web.Request) -> Any:
        try:
            return await request.json()
        except ValueError:
            raise BadRequest("the body is not JSON") from None

    async def instruction(i: Instr) -> web.Response:
        status, answer = await venue.execute(i)
        await faults.delay()
        return _reply(status, answer)

    async def new(r: web.Request) -> web.Response:
        return await instruction(parse_new(await body(r)))

    async def cancel(r: web.Request) -> web.Response:
        return await instruction(parse_cancel(r.match_info["orig"], await body(r)))

    async def replace(r: web.Request) -> web.Response:
        return await instruction(parse_replace(r.match_info["orig"], await body(r)))

    async def batch(r: web.Request) -> web.Response:
        results = await execute_all(venue, parse_items(await body(r)))
        await faults.delay()
        return _reply(200, {"results": results})

    async def orders(r: web.Request) -> web.Response:
        await faults.delay()
        return _reply(200, {"orders": eng.open_orders()})

    async def executions(r: web.Request) -> web.Response:
        after = _query_int(r.query, "after", 0, 1 << 62)
        limit = _query_int(r.query, "limit", 500, MAX_LIMIT)
        wait_ms = _query_int(r.query, "wait_ms", 0, MAX_WAIT_MS)
        reports = await venue.wait_reports(after, limit, wait_ms)
        return _reply(200, {"reports": [rep._asdict() for rep in reports],
                            "last_seq": eng.seq, "first_seq": eng.first_seq})

    async def healthz(r: web.Request) -> web.Response:
        return _reply(200, {"status": "ok", "last_seq": eng.seq})

    async def set_faults(r: web.Request) -> web.Response:
        changes = parse_faults(await body(r))
        if "reject_rate" in changes:  # it shapes the engine's answers: journaled
            await venue.execute(Instr(CONFIG, reject_rate=changes.pop("reject_rate")))
        for k, v in changes.items():
            setattr(faults, k, v)
        return _reply(200, {**faults.view(), "reject_rate": eng.reject_rate})

    async def outage(r: web.Request) -> web.Response:
        b = await body(r)
        seconds = b.get("seconds") if isinstance(b, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) \
                or not 0 < seconds <= 3600:
            raise BadRequest("seconds: a number above 0, at most 3600")
        current = listener()
        started = current is not None and current.outage(float(seconds), r.protocol)
        return _reply(200 if started else 409, {"outage_seconds": seconds, "started": started})

    async def end_of_day(r: web.Request) -> web.Response:
        status, answer = await venue.execute(Instr(EOD))
        return _reply(status, answer)

    async def book(r: web.Request) -> web.Response:
        b = eng.books.get(r.match_info["symbol"])
        if b is None:
            return _reply(404, {"error": "unknown symbol"})
        return _reply(200, {k: [list(lv) for lv in v] for k, v in b.depth().items()})

    app = web.Application(middlewares=[observed])
    app.add_routes([
        web.post("/orders", guarded(new)),
        web.post("/orders/batch", guarded(batch)),
        web.post("/orders/{orig}/cancel", guarded(cancel)),
        web.post("/orders/{orig}/replace", guarded(replace)),
        web.get("/orders", guarded(orders)),
        web.get("/executions", guarded(executions)),
        web.get("/healthz", guarded(healthz, errors=False)),
        web.get("/readyz", guarded(healthz, errors=False)),  # ready once it listens
        web.get("/metrics", metrics),
        web.post("/admin/faults", guarded(set_faults, errors=False)),
        web.post("/admin/outage", guarded(outage, errors=False)),
        web.post("/admin/end-of-day", guarded(end_of_day, errors=False)),
        web.get("/admin/book/{symbol}", guarded(book, errors=False)),
    ])
    return app


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
