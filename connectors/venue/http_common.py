"""What every route of the venue's HTTP app shares: the trace and metrics middleware, the
/metrics page, JSON replies, and the guard that injects errors and answers bad requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler as AiohttpHandler
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from brokerage.adapters import fastjson
from brokerage.observability import trace
from brokerage.observability.eventlog import EventLog

from .faults import Faults
from .protocol import BadRequest

events = EventLog()
HTTP = Counter("brokerage_exchange_http_requests_total", "Exchange simulator HTTP requests",
               ["route", "status"])

Handler = Callable[[web.Request], Awaitable[web.Response]]


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


def reply(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status, dumps=fastjson.dumps)


def query_int(q: Any, key: str, default: int, hi: int) -> int:
    try:
        return max(0, min(hi, int(q.get(key, default))))
    except ValueError:
        raise BadRequest(f"{key}: an integer is required") from None


async def read_body(request: web.Request) -> Any:
    try:
        return await request.json(loads=fastjson.loads)
    except ValueError:
        raise BadRequest("the body is not JSON") from None


def guarded(faults: Faults, fn: Handler, errors: bool = True) -> Handler:
    """`fn` answering 400 for a BadRequest and, with `errors`, the injected 503s."""
    async def handle(request: web.Request) -> web.Response:
        if errors and faults.error():
            return reply(503, {"error": "simulated transient error"})
        try:
            return await fn(request)
        except BadRequest as exc:
            return reply(400, {"error": str(exc)})
    return handle
