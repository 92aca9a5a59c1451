"""`brokerage api`: the HTTP front door. Handlers parse, publish or read, and format;
every rule lives in the domain and runs in the workers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse

from brokerage.config import Settings
from brokerage.domain import events as ev
from brokerage.domain.requests import trade_id_for, trader_of

from . import views
from .bridge import KafkaBridge
from .models import AmendIn, CashIn, NewTradeIn
from .money import to_minor
from .tables import TableReader


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": code, "message": message, **extra}, status_code=status)


def create_app(settings: Settings, bootstrap: str) -> FastAPI:
    wait = settings.api_response_timeout_seconds
    links: dict[str, Any] = {}  # made at start-up, so importing the app touches no network

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        bridge = KafkaBridge(bootstrap, settings.topic_requests, settings.topic_responses)
        await asyncio.to_thread(bridge.start, asyncio.get_running_loop())
        links.update(bridge=bridge, tables=TableReader(settings.worker_url_list()))
        yield
        await asyncio.to_thread(bridge.close)
        await links["tables"].close()

    def bridge_() -> KafkaBridge:
        b: KafkaBridge = links["bridge"]
        return b

    def tables_() -> TableReader:
        t: TableReader = links["tables"]
        return t

    app = FastAPI(title="brokerage", version="0.1.0", lifespan=lifespan)

    def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        if authorization != f"Bearer {settings.admin_token.get_secret_value()}":
            raise HTTPException(403, {"error": "forbidden", "message": "admin scope required"})

    async def outcome(req: ev.Request, trade_id: str | None, created: int) -> JSONResponse:
        rec = await bridge_().submit(req, wait)
        if rec is None:
            url = f"/v1/trades/{trade_id}" if trade_id else f"/v1/traders/{req.trader_id}/wallet"
            return JSONResponse({"status": "PENDING", "status_url": url}, status_code=202)
        if not rec["accepted"]:
            return error(422, "rejected", rec["message"], reason=rec["reason"],
                         request_id=req.request_id)
        state = await tables_().trader(req.trader_id)
        if trade_id is None:
            return JSONResponse(views.wallet_json(state or {}), status_code=created)
        trade = views.find_trade(state, trade_id) if state else None
        return JSONResponse(trade or {"trade_id": trade_id, "status": rec["status"]},
                            status_code=created)

    @app.post("/v1/trades")
    async def new_trade(body: NewTradeIn, idempotency_key: Annotated[
            str | None, Header(pattern=r"^[A-Za-z0-9_\-:.]{1,64}$")] = None) -> JSONResponse:
        rid = idempotency_key or body.client_request_id or uuid.uuid4().hex
        try:
            price = None if body.limit_price is None else to_minor(body.limit_price)
        except ValueError as exc:
            return error(422, "rejected", str(exc), reason="INVALID_PRICE")
        req = ev.NewTrade(rid, body.trader_id, body.side, body.symbol, body.quantity,
                          body.order_type, price, body.time_in_force)
        return await outcome(req, trade_id_for(body.trader_id, rid), 201)

    @app.patch("/v1/trades/{trade_id}")
    async def amend_trade(trade_id: str, body: AmendIn, idempotency_key: Annotated[
            str | None, Header(pattern=r"^[A-Za-z0-9_\-:.]{1,64}$")] = None) -> JSONResponse:
        rid = idempotency_key or body.client_request_id or uuid.uuid4().hex
        try:
            price = None if body.limit_price is None else to_minor(body.limit_price)
        except ValueError as exc:
            return error(422, "rejected", str(exc), reason="INVALID_PRICE")
        req = ev.AmendTrade(rid, trader_of(trade_id), trade_id, body.quantity, price)
        return await outcome(req, trade_id, 200)

    @app.delete("/v1/trades/{trade_id}")
    async def cancel_trade(trade_id: str, idempotency_key: Annotated[
            str | None, Header(pattern=r"^[A-Za-z0-9_\-:.]{1,64}$")] = None) -> JSONResponse:
        rid = idempotency_key or uuid.uuid4().hex
        return await outcome(ev.CancelTrade(rid, trader_of(trade_id), trade_id), trade_id, 200)

    @app.get("/v1/trades/{trade_id}")
    async def get_trade(trade_id: str) -> JSONResponse:
        state = await tables_().trader(trader_of(trade_id))
        trade = views.find_trade(state, trade_id) if state else None
        if trade is None:
            return error(404, "not_found", f"no trade {trade_id}")
        return JSONResponse(trade)

    @app.get("/v1/traders/{trader_id}/wallet")
    async def wallet(trader_id: str) -> JSONResponse:
        state = await tables_().trader(trader_id)
        if state is None:
            return error(404, "not_found", f"no trader {trader_id}")
        return JSONResponse(views.wallet_json(state))

    async def cash(trader_id: str, body: CashIn, cls: type[ev.Deposit | ev.Withdraw]) -> Any:
        if (body.amount is None) == (body.shares is None) or (body.shares is None) != (
                body.symbol is None):
            return error(422, "malformed", "give amount (cash), or shares with symbol")
        try:
            amount = body.shares if body.shares is not None else to_minor(body.amount or 0)
        except ValueError as exc:
            return error(422, "rejected", str(exc), reason="INVALID_AMOUNT")
        rid = body.client_request_id or uuid.uuid4().hex
        return await outcome(cls(rid, trader_id, amount, body.symbol), None, 201)

    @app.post("/v1/traders/{trader_id}/deposits", dependencies=[Depends(admin)])
    async def deposit(trader_id: str, body: CashIn) -> Any:
        return await cash(trader_id, body, ev.Deposit)

    @app.post("/v1/traders/{trader_id}/withdrawals", dependencies=[Depends(admin)])
    async def withdraw(trader_id: str, body: CashIn) -> Any:
        return await cash(trader_id, body, ev.Withdraw)

    @app.get("/healthz")
    async def healthz(request: Request) -> dict[str, str]:
        return {"status": "ok"}

    return app
