"""The venue's HTTP app (docs/exchange-protocol.md): the order routes, health, metrics, and
the /admin routes of admin.py."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from .admin import admin_routes
from .batch import execute_all, parse_items
from .faults import Faults, Listener
from .http_common import guarded, metrics, observed, query_int, read_body, reply
from .protocol import Instr, parse_cancel, parse_new, parse_replace
from .venue import Venue

MAX_LIMIT, MAX_WAIT_MS = 5000, 30_000


def make_app(venue: Venue, faults: Faults,
             listener: Callable[[], Listener | None]) -> web.Application:
    """The HTTP app; `listener()` gives the Listener that serves it (for outages)."""
    eng = venue.engine

    async def instruction(i: Instr) -> web.Response:
        status, answer = await venue.execute(i)
        await faults.delay()
        return reply(status, answer)

    async def new(r: web.Request) -> web.Response:
        return await instruction(parse_new(await read_body(r)))

    async def cancel(r: web.Request) -> web.Response:
        return await instruction(parse_cancel(r.match_info["orig"], await read_body(r)))

    async def replace(r: web.Request) -> web.Response:
        return await instruction(parse_replace(r.match_info["orig"], await read_body(r)))

    async def batch(r: web.Request) -> web.Response:
        results = await execute_all(venue, parse_items(await read_body(r)))
        await faults.delay()
        return reply(200, {"results": results})

    async def orders(r: web.Request) -> web.Response:
        await faults.delay()
        return reply(200, {"orders": eng.open_orders()})

    async def executions(r: web.Request) -> web.Response:
        after = query_int(r.query, "after", 0, 1 << 62)
        limit = query_int(r.query, "limit", 500, MAX_LIMIT)
        wait_ms = query_int(r.query, "wait_ms", 0, MAX_WAIT_MS)
        reports = await venue.wait_reports(after, limit, wait_ms)
        return reply(200, {"reports": [rep._asdict() for rep in reports],
                           "last_seq": eng.seq, "first_seq": eng.first_seq,
                           "incarnation": venue.incarnation})

    async def healthz(r: web.Request) -> web.Response:
        return reply(200, {"status": "ok", "last_seq": eng.seq,
                           "incarnation": venue.incarnation})

    app = web.Application(middlewares=[observed])
    app.add_routes([
        web.post("/orders", guarded(faults, new)),
        web.post("/orders/batch", guarded(faults, batch)),
        web.post("/orders/{orig}/cancel", guarded(faults, cancel)),
        web.post("/orders/{orig}/replace", guarded(faults, replace)),
        web.get("/orders", guarded(faults, orders)),
        web.get("/executions", guarded(faults, executions)),
        web.get("/healthz", guarded(faults, healthz, errors=False)),
        web.get("/readyz", guarded(faults, healthz, errors=False)),  # ready once it listens
        web.get("/metrics", metrics),
        *admin_routes(venue, faults, listener),
    ])
    return app
