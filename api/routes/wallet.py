"""/v1/traders/{id}/wallet, /holdings, /deposits and /withdrawals."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse

from brokerage.domain import events as ev

from .. import views
from ..deps import Caller, Ctx, IdemKey, cached_json
from ..errors import ApiError, for_read, for_write
from ..models import ID, CashIn, HoldingsOut, Pending, WalletOut
from ..money import to_minor
from ..submit import submit

router = APIRouter(prefix="/v1/traders", tags=["wallet"])
TraderId = Annotated[str, Path(pattern=ID)]  # as the workers' codec checks it


async def _state(ctx: Ctx, trader_id: str) -> dict[str, object]:
    state = await ctx.tables.trader(trader_id)
    if state is None:
        raise ApiError(404, "not_found", f"no trader {trader_id}")
    return state


@router.get("/{trader_id}/wallet",
            responses=for_read(WalletOut))
async def wallet(trader_id: TraderId, request: Request, ctx: Ctx, who: Caller) -> Response:
    who.require_trader(trader_id)
    return cached_json(request, views.wallet_json(await _state(ctx, trader_id)))


@router.get("/{trader_id}/holdings",
            responses=for_read(HoldingsOut))
async def holdings(trader_id: TraderId, request: Request, ctx: Ctx, who: Caller) -> Response:
    who.require_trader(trader_id)
    w = views.wallet_json(await _state(ctx, trader_id))
    return cached_json(request, {"trader_id": trader_id, "holdings": w["holdings"]})


async def _cash(trader_id: str, body: CashIn, ctx: Ctx, cls: type[ev.Deposit | ev.Withdraw],
                key: str | None) -> JSONResponse:
    if (body.amount is None) == (body.shares is None) or (
            (body.shares is None) != (body.symbol is None)):
        raise ApiError(400, "bad_request", "give amount (cash), or shares with symbol")
    try:
        amount = body.shares if body.shares is not None else to_minor(body.amount or 0)
    except ValueError as exc:
        raise ApiError(422, "INVALID_AMOUNT", str(exc), {"reason": "INVALID_AMOUNT"}) from exc
    rid = key or body.client_request_id or uuid.uuid4().hex
    return await submit(ctx, cls(rid, trader_id, amount, body.symbol), None, 201)


@router.post("/{trader_id}/deposits", status_code=201,
             responses=for_write(201, WalletOut, Pending))
async def deposit(trader_id: TraderId, body: CashIn, ctx: Ctx, who: Caller,
                  idempotency_key: IdemKey = None) -> JSONResponse:
    who.require_admin()
    return await _cash(trader_id, body, ctx, ev.Deposit, idempotency_key)


@router.post("/{trader_id}/withdrawals", status_code=201,
             responses=for_write(201, WalletOut, Pending))
async def withdraw(trader_id: TraderId, body: CashIn, ctx: Ctx, who: Caller,
                   idempotency_key: IdemKey = None) -> JSONResponse:
    who.require_admin()
    return await _cash(trader_id, body, ctx, ev.Withdraw, idempotency_key)
