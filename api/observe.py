"""Ingress of a trace: each HTTP request continues the caller's `traceparent` or starts a trace,
is counted by route and status, timed, and written as one access line with its trace id
(also returned to the caller as `X-Trace-Id`, to quote when asking for support)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import Counter, Histogram

from brokerage.observability import otel, trace
from brokerage.observability.eventlog import EventLog

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUESTS = Counter("brokerage_api_requests_total", "HTTP requests by route, method and status",
                   ["route", "method", "status"])
DURATION = Histogram("brokerage_api_request_duration_seconds", "HTTP request handling time",
                     ["route", "method"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
PROBES = {"/metrics", "/healthz", "/readyz"}  # scraped every few seconds: no access line
log = EventLog()


class Observe:
    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        parent = trace.parse(dict(scope["headers"]).get(trace.HEADER.encode()))
        status = 500  # if the app fails before answering
        method = scope["method"]
        with otel.span(f"{method} {scope['path']}", parent, "server") as ctx, trace.bound(ctx):
            async def sending(message: Any) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"],
                                          (b"x-trace-id", ctx.trace_id.encode())]
                await send(message)

            try:
                await self.app(scope, receive, sending)
            finally:
                route = getattr(scope.get("route"), "path", None) or "unmatched"
                took = time.perf_counter() - started
                REQUESTS.labels(route, method, str(status)).inc()
                DURATION.labels(route, method).observe(took)
                if route not in PROBES:
                    log.info("%s %s %d %.1fms", method, scope["path"], status, took * 1000)
