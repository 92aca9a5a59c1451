"""Stand-ins for the /v1 routes' links (Kafka and the workers' tables), and an app over them:
the real routes, error handlers and middleware, without a broker."""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import Context
from api.ratelimit import TokenBuckets
from brokerage.config import Settings
from brokerage.domain import events as ev
from brokerage.domain.requests import trade_id_for
from brokerage.entrypoints.tokens import bearer

SETTINGS = Settings(auth_secret="unit-tests-secret-0123456789abcdef")


def trade(trader_id: str, key: str, created_ms: int, status: str = "NEW",
          symbol: str = "AAPL") -> dict[str, Any]:
    """One trade as the workers' trader_state record holds it."""
    return {"trade_id": trade_id_for(trader_id, key), "request_id": key, "status": status,
            "side": "BUY", "symbol": symbol, "order_type": "LIMIT", "time_in_force": "DAY",
            "quantity": 1, "limit_price": 100, "cum_qty": 0, "cum_notional": 0, "fees": 0,
            "blocked_cash": 101, "blocked_shares": 0, "fills": [], "created_ms": created_ms,
            "updated_ms": created_ms, "history": []}


def state(trader_id: str, *trades: dict[str, Any]) -> dict[str, Any]:
    return {"trader_id": trader_id, "cash_available": 1000, "cash_blocked": 0,
            "positions": [], "totals": {}, "trades": list(trades)}


class Tables:
    """Trader states by id; `down` makes every read fail as TableReader does."""

    def __init__(self, *states: dict[str, Any]) -> None:
        self.states = {s["trader_id"]: s for s in states}
        self.down = False

    async def trader(self, trader_id: str) -> dict[str, Any] | None:
        if self.down:
            raise ConnectionError("no worker answered")
        return self.states.get(trader_id)


class Bridge:
    """Accepts every request at once (or answers nothing with `silent`), noting each."""

    def __init__(self) -> None:
        self.published: list[ev.Request] = []
        self.silent = False

    async def submit(self, req: ev.Request, timeout: float) -> dict[str, Any] | None:
        self.published.append(req)
        if self.silent:
            return None
        return {"accepted": True, "reason": None, "message": "", "status": "PENDING_NEW",
                "trade_id": getattr(req, "trade_id", None)}


def app(tables: Any, bridge: Any = None, ip_burst: int = 1000) -> FastAPI:
    """The API as `brokerage api` builds it; the lifespan (Kafka) is replaced by `ctx`."""
    a = create_app(SETTINGS, "unused:9092")
    a.state.ctx = Context(SETTINGS, cast(Any, bridge or Bridge()), cast(Any, tables),
                          TokenBuckets(1000, 1000, "trader"),
                          TokenBuckets(0.001, ip_burst, "ip"))
    return a


def client(a: FastAPI, trader_id: str = "alice", admin: bool = False) -> TestClient:
    return TestClient(a, headers=bearer(SETTINGS, trader_id, admin))
