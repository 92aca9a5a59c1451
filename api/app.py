"""`brokerage api`: the HTTP front door. Handlers parse, authorise, publish or read, and format;
every business rule lives in the domain and runs in the workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from brokerage.config import Settings

from . import errors
from .alpaca import Alpaca
from .alpaca import router as alpaca_router
from .bridge import KafkaBridge
from .deps import Context
from .observe import Observe
from .ratelimit import TokenBuckets
from .routes import statements, trades, wallet
from .tables import TableReader

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]
ASGI = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse bodies over `limit` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGI, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > self.limit:
            return await self._refuse(scope, receive, send)
        seen = 0

        async def counting() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge(413, f"body over {self.limit} bytes")
            return message

        try:
            await self.app(scope, counting, send)
        except _TooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        resp = errors.response(413, "payload_too_large", f"body over {self.limit} bytes")
        await resp(scope, receive, send)


class _TooLarge(StarletteHTTPException):
    """An HTTPException, so FastAPI's body parsing re-raises it (any other error there becomes
    a 400) and the app's handler answers 413 in the one error shape."""


def create_app(settings: Settings, bootstrap: str) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bridge = KafkaBridge(bootstrap, settings.topic_requests, settings.topic_responses)
        await asyncio.to_thread(bridge.start, asyncio.get_running_loop())
        app.state.ctx = Context(
            settings, bridge, TableReader(settings.worker_url_list()),
            TokenBuckets(settings.rate_trader_per_second, settings.rate_trader_burst, "trader"),
            TokenBuckets(settings.rate_ip_per_second, settings.rate_ip_burst, "ip"),
        )
        app.state.alpaca = await Alpaca.start(settings, bootstrap)
        yield
        await app.state.alpaca.close()
        await asyncio.to_thread(bridge.close)
        await app.state.ctx.tables.close()

    app = FastAPI(title="brokerage", version="0.1.0", lifespan=lifespan,
                  description="Trades, wallets and holdings. Money is decimal strings.")
    errors.install(app)
    app.include_router(trades.router)
    app.include_router(wallet.router)
    app.include_router(alpaca_router)  # /v2 and /stream: the Alpaca-compatible facade
    if (dsn := statements.reporting_dsn(settings)) is not None:  # only with a reporting store
        app.include_router(statements.router(dsn))

    @app.get("/healthz", tags=["probes"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["probes"],
             responses={503: {"description": "Not ready: the broker, or no worker, is"}})
    async def readyz(request: Request) -> JSONResponse:
        ctx: Context = request.app.state.ctx
        urls = settings.worker_url_list()
        broker = await asyncio.to_thread(ctx.bridge.reachable)
        ready = await _workers_ready(urls)
        # One worker rebalancing must not take every API instance out of the load balancer:
        # ready while the broker answers and some worker serves (reads for the partitions of
        # a worker that is not ready answer 503 meanwhile).
        ok = broker and (ready > 0 or not urls)
        body = {"ready": ok, "broker": broker, "workers": ready == len(urls),
                "workers_ready": ready, "workers_total": len(urls)}
        return JSONResponse(body, status_code=200 if ok else 503)

    @app.get("/metrics", tags=["probes"], response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(BodyLimit, limit=settings.api_max_body_bytes)
    app.add_middleware(Observe)  # outermost: traces, counts and times every request
    return app


async def _workers_ready(urls: list[str]) -> int:
    """How many workers have their partitions and finished table recovery."""
    async def one(client: httpx.AsyncClient, url: str) -> bool:
        try:
            return (await client.get(f"{url}/readyz")).status_code == 200
        except httpx.HTTPError:
            return False

    async with httpx.AsyncClient(timeout=2) as client:
        return sum(await asyncio.gather(*(one(client, u) for u in urls)))
