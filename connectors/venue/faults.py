"""Fault knobs (latency, transient errors) and the listener that can go away for an outage."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .protocol import BadRequest


@dataclass
class Faults:
    latency_ms: int = 0  # added before every answer of /orders calls
    error_rate: float = 0.0  # share of /orders and /executions calls answered 503, not applied
    seed: int = 0
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)  # not journaled: 503s change no state

    def error(self) -> bool:
        return self.error_rate > 0 and self.rng.random() < self.error_rate

    async def delay(self) -> None:
        if self.latency_ms > 0:
            await asyncio.sleep(self.latency_ms / 1000)

    def view(self) -> dict[str, Any]:
        return {"latency_ms": self.latency_ms, "error_rate": self.error_rate}


def parse_faults(body: Any) -> dict[str, Any]:
    """Validated subset of {latency_ms, reject_rate, error_rate}."""
    if not isinstance(body, dict):
        raise BadRequest("a JSON object is required")
    out: dict[str, Any] = {}
    if "latency_ms" in body:
        v = body["latency_ms"]
        if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= 600_000:
            raise BadRequest("latency_ms: an integer from 0 to 600000")
        out["latency_ms"] = v
    for key in ("reject_rate", "error_rate"):
        if key in body:
            v = body[key]
            if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
                raise BadRequest(f"{key}: a number from 0 to 1")
            out[key] = float(v)
    return out


class Listener:
    """Runs the app on host:port; `outage` stops listening (connections are refused and
    open ones dropped) and listens again later."""

    def __init__(self, app: web.Application, host: str, port: int) -> None:
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        self.host, self.port = host, port
        self.site: web.TCPSite | None = None
        self._outage: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        self.site = web.TCPSite(self.runner, self.host, self.port, reuse_address=True)
        await self.site.start()
        self.port = self.site.port  # the real one when asked for port 0

    def outage(self, seconds: float, keep: RequestHandler | None = None) -> bool:
        """Start an outage; False if one is already running."""
        if self._outage is not None and not self._outage.done():
            return False
        self._outage = asyncio.create_task(self._run_outage(seconds, keep))
        return True

    async def _run_outage(self, seconds: float, keep: RequestHandler | None) -> None:
        if self.site is not None:
            await self.site.stop()
            self.site = None
        server = self.runner.server
        for conn in server.connections if server is not None else []:
            if conn is keep:
                conn.close()  # after the answer to the outage call itself
            else:
                conn.force_close()
        await asyncio.sleep(seconds)
        await self._listen()

    async def stop(self) -> None:
        if self._outage is not None:
            self._outage.cancel()
        await self.runner.cleanup()
