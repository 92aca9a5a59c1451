"""The venue's /admin routes: fault knobs, outages, end of day, a book's depth. None of
them draws the injected errors."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from .faults import Faults, Listener, parse_faults
from .http_common import guarded, read_body, reply
from .protocol import CONFIG, EOD, BadRequest, Instr
from .venue import Venue


def admin_routes(venue: Venue, faults: Faults,
                 listener: Callable[[], Listener | None]) -> list[web.RouteDef]:
    eng = venue.engine

    async def set_faults(r: web.Request) -> web.Response:
        changes = parse_faults(await read_body(r))
        if "reject_rate" in changes:  # it shapes the engine's answers: journaled
            await venue.execute(Instr(CONFIG, reject_rate=changes.pop("reject_rate")))
        for k, v in changes.items():
            setattr(faults, k, v)
        return reply(200, {**faults.view(), "reject_rate": eng.reject_rate})

    async def outage(r: web.Request) -> web.Response:
        b = await read_body(r)
        seconds = b.get("seconds") if isinstance(b, dict) else None
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) \
                or not 0 < seconds <= 3600:
            raise BadRequest("seconds: a number above 0, at most 3600")
        current = listener()
        started = current is not None and current.outage(float(seconds), r.protocol)
        return reply(200 if started else 409, {"outage_seconds": seconds, "started": started})

    async def end_of_day(r: web.Request) -> web.Response:
        status, answer = await venue.execute(Instr(EOD))
        return reply(status, answer)

    async def book(r: web.Request) -> web.Response:
        b = eng.books.get(r.match_info["symbol"])
        if b is None:
            return reply(404, {"error": "unknown symbol"})
        return reply(200, {k: [list(lv) for lv in v] for k, v in b.depth().items()})

    return [
        web.post("/admin/faults", guarded(faults, set_faults, errors=False)),
        web.post("/admin/outage", guarded(faults, outage, errors=False)),
        web.post("/admin/end-of-day", guarded(faults, end_of_day, errors=False)),
        web.get("/admin/book/{symbol}", guarded(faults, book, errors=False)),
    ]
