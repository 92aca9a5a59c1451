"""/v1/trades and /v1/traders/{id}/trades."""

from __future__ import annotations

import base64
import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import JSONResponse

from brokerage.domain import events as ev
from brokerage.domain.requests import trade_id_for, trader_of
from brokerage.domain.types import TradeStatus

from .. import views
from ..deps import Caller, Ctx, IdemKey, cached_json
from ..errors import ApiError, for_read, for_write
from ..models import ID, TRADE_ID, AmendIn, NewTradeIn, Pending, TradeOut, TradePage
from ..money import to_minor
from ..submit import submit

router = APIRouter(prefix="/v1", tags=["trades"])
# Ids are checked here as the workers' codec checks them: one it would refuse would never be
# answered (it goes to the dead-letter topic), so it is a 400 now rather than a 202 later.
TradeId = Annotated[str, Path(pattern=TRADE_ID, description="as returned by POST /v1/trades")]
TraderId = Annotated[str, Path(pattern=ID)]


def _price(value: Any) -> int | None:
    try:
        return None if value is None else to_minor(value)
    except ValueError as exc:
        raise ApiError(422, "INVALID_PRICE", str(exc), {"reason": "INVALID_PRICE"}) from exc


@router.post("/trades", status_code=201,
             responses=for_write(201, TradeOut, Pending))
async def new_trade(body: NewTradeIn, ctx: Ctx, who: Caller,
                    idempotency_key: IdemKey = None) -> JSONResponse:
    who.require_trader(body.trader_id)
    rid = idempotency_key or body.client_request_id or uuid.uuid4().hex
    req = ev.NewTrade(rid, body.trader_id, body.side, body.symbol, body.quantity,
                      body.order_type, _price(body.limit_price), body.time_in_force)
    return await submit(ctx, req, trade_id_for(body.trader_id, rid), 201)


@router.patch("/trades/{trade_id}",
              responses=for_write(200, TradeOut, Pending))
async def amend_trade(trade_id: TradeId, body: AmendIn, ctx: Ctx, who: Caller,
                      idempotency_key: IdemKey = None) -> JSONResponse:
    who.require_trader(trader_of(trade_id))
    rid = idempotency_key or body.client_request_id or uuid.uuid4().hex
    req = ev.AmendTrade(rid, trader_of(trade_id), trade_id, body.quantity,
                        _price(body.limit_price), time_in_force=body.time_in_force)
    return await submit(ctx, req, trade_id, 200)


@router.delete("/trades/{trade_id}",
               responses=for_write(200, TradeOut, Pending))
async def cancel_trade(trade_id: TradeId, ctx: Ctx, who: Caller,
                       idempotency_key: IdemKey = None) -> JSONResponse:
    who.require_trader(trader_of(trade_id))
    rid = idempotency_key or uuid.uuid4().hex
    return await submit(ctx, ev.CancelTrade(rid, trader_of(trade_id), trade_id), trade_id, 200)


@router.get("/trades/{trade_id}",
            responses=for_read(TradeOut))
async def get_trade(trade_id: TradeId, request: Request, ctx: Ctx, who: Caller) -> Response:
    who.require_trader(trader_of(trade_id))
    state = await ctx.tables.trader(trader_of(trade_id))
    trade = views.find_trade(state, trade_id) if state else None
    if trade is None:
        raise ApiError(404, "not_found", f"no trade {trade_id}")
    return cached_json(request, trade)


@router.get("/traders/{trader_id}/trades",
            responses=for_read(TradePage))
async def list_trades(
    trader_id: TraderId, request: Request, ctx: Ctx, who: Caller,
    status: TradeStatus | None = None, symbol: str | None = None,
    since_ms: Annotated[int | None, Query(ge=0)] = None,
    until_ms: Annotated[int | None, Query(ge=0)] = None,
    cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """Newest first. `cursor` is the `next_cursor` of the previous page."""
    who.require_trader(trader_id)
    state = await ctx.tables.trader(trader_id)
    if state is None:
        raise ApiError(404, "not_found", f"no trader {trader_id}")
    trades = [views.trade_json(t, trader_id) for t in state["trades"]]
    trades = [t for t in trades if (status is None or t["status"] == status)
              and (symbol is None or t["symbol"] == symbol)
              and (since_ms is None or t["created_ms"] >= since_ms)
              and (until_ms is None or t["created_ms"] < until_ms)]
    trades.sort(key=_position, reverse=True)  # newest first; ties by trade id, descending
    if cursor:
        after = _decode_cursor(cursor)
        # Positional: what follows the previous page's last trade, even if that one has
        # since left the list (changed status, evicted).
        trades = [t for t in trades if _position(t) < after]
    page = trades[:limit]
    nxt = _encode_cursor(_position(page[-1])) if len(trades) > limit else None
    return cached_json(request, {"trades": page, "next_cursor": nxt})


def _position(t: dict[str, Any]) -> tuple[int, str]:
    return t["created_ms"], t["trade_id"]


def _encode_cursor(pos: tuple[int, str]) -> str:
    return base64.urlsafe_b64encode(f"{pos[0]}:{pos[1]}".encode()).decode()


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        ms, trade_id = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if ms.isdigit() and re.fullmatch(TRADE_ID, trade_id):
            return int(ms), trade_id
    except (ValueError, UnicodeDecodeError):
        pass
    raise ApiError(400, "bad_request", "invalid cursor")
