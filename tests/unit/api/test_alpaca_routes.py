"""The /v2 routes and the /stream handshake without a broker: the workers' tables and the
key store are stand-ins; errors must come in Alpaca's shape with Alpaca's statuses."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest
from alpaca.trading.models import Clock, Order, TradeAccount
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.alpaca import keys, router, shapes
from api.deps import Context
from api.ratelimit import TokenBuckets
from brokerage.config import Settings
from brokerage.domain.refdata import load

TRADE: dict[str, Any] = {"trade_id": "alice.0123456789abcdef", "request_id": "r1", "side": "SELL",
         "symbol": "MSFT", "order_type": "MARKET", "time_in_force": "DAY", "quantity": 3,
         "limit_price": None, "status": "NEW", "cum_qty": 0, "cum_notional": 0, "fills": [],
         "created_ms": 1, "updated_ms": 2, "history": []}
STATE = {"trader_id": "alice", "cash_available": 500, "cash_blocked": 0, "positions": [],
         "trades": [TRADE]}


class Tables:
    async def trader(self, trader_id: str) -> dict[str, Any] | None:
        return STATE if trader_id == "alice" else None


class Keys:
    def __init__(self) -> None:
        self.id, self.secret, self.rec = keys.new_key("alice", {"trade"})

    async def authenticate(self, key_id: str, secret: str) -> Any:
        return self.rec.principal() if key_id == self.id and self.rec.matches(secret) else None


class Updates:
    def __init__(self) -> None:
        self.listening: set[str] = set()

    def listen(self, trader_id: str, queue: object) -> None:
        self.listening.add(trader_id)

    def unlisten(self, trader_id: str, queue: object) -> None:
        self.listening.discard(trader_id)


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    app.state.ctx = Context(Settings(), cast(Any, None), cast(Any, Tables()),
                            TokenBuckets(0.001, 5, "trader"), TokenBuckets(1000, 1000, "ip"))
    app.state.alpaca = SimpleNamespace(keys=Keys(), refdata=load(), updates=Updates())
    return app


def headers(app: FastAPI) -> dict[str, str]:
    k = app.state.alpaca.keys
    return {"APCA-API-KEY-ID": k.id, "APCA-API-SECRET-KEY": k.secret}


def test_reads_with_a_valid_key(app: FastAPI) -> None:
    http = TestClient(app, headers=headers(app))
    assert Clock(**http.get("/v2/clock").json()).is_open
    assert TradeAccount(**http.get("/v2/account").json()).buying_power == "5.00"
    order = Order(**http.get(f"/v2/orders/{shapes.order_uuid(TRADE['trade_id'])}").json())
    assert order.type is not None and order.type.value == "market" and order.limit_price is None


def test_errors_are_in_alpacas_shape(app: FastAPI) -> None:
    http = TestClient(app)
    assert http.get("/v2/account").json() == {"code": 40110000,
                                              "message": "request is not authorized"}
    bad = {**headers(app), "APCA-API-SECRET-KEY": "wrong"}
    assert http.get("/v2/account", headers=bad).status_code == 401
    r = http.get("/v2/orders?status=bogus", headers=headers(app))
    assert r.status_code == 422 and r.json()["code"] == 40010001
    r = http.get("/v2/orders/00000000-0000-0000-0000-000000000000", headers=headers(app))
    assert (r.status_code, r.json()) == (404, {"code": 40410000, "message": "order not found"})
    r = http.get("/v2/watchlists", headers=headers(app))
    assert (r.status_code, r.json()["code"]) == (404, 40410000)


def test_rate_limits_answer_429_with_retry_after(app: FastAPI) -> None:
    http = TestClient(app, headers=headers(app))
    statuses = [http.get("/v2/clock") for _ in range(6)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429]
    assert statuses[-1].json()["code"] == 42910000 and statuses[-1].headers["Retry-After"]


def test_stream_handshake(app: FastAPI) -> None:
    k = app.state.alpaca.keys
    with TestClient(app).websocket_connect("/stream") as ws:
        ws.send_json({"action": "authenticate", "data": {"key_id": k.id, "secret_key": "x"}})
        assert ws.receive_json()["data"]["status"] == "unauthorized"
    with TestClient(app).websocket_connect("/stream") as ws:
        ws.send_json({"action": "auth", "key": k.id, "secret": k.secret})
        assert ws.receive_json() == {"stream": "authorization",
                                     "data": {"status": "authorized", "action": "authenticate"}}
        ws.send_json({"action": "listen", "data": {"streams": ["trade_updates", "other"]}})
        assert ws.receive_json() == {"stream": "listening", "data": {"streams": ["trade_updates"]}}
        assert app.state.alpaca.updates.listening == {"alice"}
