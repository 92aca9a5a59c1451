"""/v2/orders: submit, list, get, replace and cancel, over the same requests as /v1.

`client_order_id` is our client request id. Our core answers a repeated request id with the
same body as an idempotent retry; Alpaca refuses any reuse, so the facade does too: a
client_order_id that already names one of the caller's orders is 422 before anything is
published (and the core's own DUPLICATE_REQUEST maps to the same answer). Two identical
requests racing each other still make one order, never two.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from brokerage.domain import events as ev
from brokerage.domain.requests import trade_id_for

from . import parse, shapes, versions
from .deps import Account, Caller
from .errors import DUPLICATE_CLIENT_ORDER_ID, AlpacaError, AlpacaRoute, for_reject, invalid
from .errors import not_found as missing
from .errors import replaced as superseded

router = APIRouter(prefix="/v2", route_class=AlpacaRoute, include_in_schema=False)
CLOSED = shapes.TERMINAL_STATUSES | {versions.REPLACED}
READS = 5


async def _state(acct: Account) -> dict[str, Any] | None:
    return await acct.ctx.tables.trader(acct.trader_id)


async def _order(acct: Account, order_id: str) -> dict[str, Any]:
    """The caller's order (any version of a trade) behind an Alpaca id."""
    order = versions.find(await _state(acct), order_id)
    if order is None:
        raise missing()
    return order


async def _open(acct: Account, order_id: str) -> dict[str, Any]:
    """An order a replace or cancel may name: not one a replace already superseded."""
    order = await _order(acct, order_id)
    if order["status"] == versions.REPLACED:
        raise superseded(order["replaced_by"])
    return order


async def _send(acct: Account, req: ev.Request) -> dict[str, Any] | None:
    """Publish; the worker's answer, None if none came in time; a refusal raises."""
    rec = await acct.ctx.bridge.submit(req, acct.ctx.settings.api_response_timeout_seconds)
    if rec is not None and not rec["accepted"]:
        raise for_reject(rec["reason"] or "REJECTED", rec["message"])
    return rec


def _unanswered(req: ev.NewTrade, trade_id: str) -> dict[str, Any]:
    """Published, but the worker did not answer in time: Alpaca's `accepted` (received, not
    yet routed). If the rules refuse it later, the stream says `rejected`."""
    trade = shapes.unbooked(trade_id, req.request_id, int(time.time() * 1000), req.symbol,
                            req.quantity, req.order_type.value, req.side.value,
                            req.time_in_force.value, req.limit_price, "PENDING_NEW")
    return {**shapes.order_json(trade), "status": "accepted"}


@router.post("/orders")
async def submit_order(request: Request, acct: Caller) -> JSONResponse:
    req = parse.new_trade(parse.body(await request.body()), acct.trader_id)
    trade_id = trade_id_for(acct.trader_id, req.request_id)
    if shapes.find(await _state(acct), trade_id) is not None:
        raise invalid(DUPLICATE_CLIENT_ORDER_ID)
    if await _send(acct, req) is None:
        return JSONResponse(_unanswered(req, trade_id))
    trade = shapes.find(await _state(acct), trade_id)
    return JSONResponse(shapes.order_json(trade) if trade else _unanswered(req, trade_id))


@router.get("/orders")
async def list_orders(
    acct: Caller, status: Literal["open", "closed", "all"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50, after: datetime | None = None,
    until: datetime | None = None, direction: Literal["asc", "desc"] = "desc",
    side: Literal["buy", "sell"] | None = None, symbols: str | None = None,
    nested: bool | None = None,
) -> JSONResponse:
    """What the trader's state remembers: open orders and the 50 most recent closed ones."""
    wanted = {s.strip().upper() for s in symbols.split(",") if s.strip()} if symbols else None
    lo = after.timestamp() * 1000 if after else None
    hi = until.timestamp() * 1000 if until else None
    # Replaced versions are closed orders; a replacement still waiting for the exchange is
    # listed once it is live (until then its old version is the open one, pending_replace).
    found = [o for o in versions.orders(await _state(acct))
             if (o["live"] or o["status"] == versions.REPLACED)
             and (status == "all" or (o["status"] in CLOSED) == (status == "closed"))
             and (wanted is None or o["symbol"] in wanted)
             and (side is None or o["side"] == side.upper())
             and (lo is None or o["created_ms"] > lo) and (hi is None or o["created_ms"] < hi)]
    found.sort(key=lambda o: o["created_ms"], reverse=direction == "desc")
    return JSONResponse([shapes.order_json(o) for o in found[:limit]])


@router.get("/orders:by_client_order_id")
async def order_by_client_id(acct: Caller, client_order_id: str) -> JSONResponse:
    """A new order's or a replacement's (the amend's request id) client_order_id."""
    found = [o for o in versions.orders(await _state(acct))
             if o["request_id"] == client_order_id]
    if not found:
        raise missing()
    return JSONResponse(shapes.order_json(found[-1]))


@router.get("/orders/{order_id}")
async def get_order(order_id: str, acct: Caller, nested: bool | None = None) -> JSONResponse:
    return JSONResponse(shapes.order_json(await _order(acct, order_id)))


@router.patch("/orders/{order_id}")
async def replace_order(order_id: str, request: Request, acct: Caller) -> JSONResponse:
    """As Alpaca: the answer is the NEW order (its own id, `replaces` the old one), waiting
    for the exchange (`pending_new`); the old one shows `pending_replace`, then `replaced`.
    Underneath it is our amend of the same trade (which keeps its queue place if it only
    shrinks)."""
    old = await _open(acct, order_id)
    req = parse.amend_trade(parse.body(await request.body()), acct.trader_id, old)
    if await _send(acct, req) is None:  # no answer in time: the order as it stands
        return JSONResponse(shapes.order_json(await _order(acct, old["trade_id"])))
    for attempt in range(READS):  # the table may trail the worker's answer a little
        state = await _state(acct)
        for o in versions.orders(state):
            if o["trade_id"] == old["trade_id"] and o["request_id"] == req.request_id:
                return JSONResponse(shapes.order_json(o))  # pending, or already live
        await asyncio.sleep(0.05 * (attempt + 1))
    trade = shapes.find(state, old["trade_id"])
    return JSONResponse(shapes.order_json(versions.asked(trade, req) if trade else old))


@router.delete("/orders/{order_id}", status_code=204)
async def cancel_order(order_id: str, acct: Caller) -> Response:
    order = await _open(acct, order_id)
    await _send(acct, ev.CancelTrade(uuid.uuid4().hex, acct.trader_id, order["trade_id"]))
    return Response(status_code=204)


@router.delete("/orders")
async def cancel_all(acct: Caller) -> JSONResponse:
    """One cancel per open order (those already being canceled are left to finish), with
    each one's outcome, as Alpaca answers: 207 Multi-Status."""
    open_ = [t for t in (await _state(acct) or {}).get("trades", [])
             if t["status"] not in shapes.TERMINAL_STATUSES and t["status"] != "PENDING_CANCEL"]
    results = await asyncio.gather(*(_cancel_one(acct, t) for t in open_))
    return JSONResponse(list(results), status_code=207)


async def _cancel_one(acct: Account, trade: dict[str, Any]) -> dict[str, Any]:
    oid = versions.version_uuid(trade["trade_id"], trade.get("order_id", ""))
    try:
        rec = await _send(acct, ev.CancelTrade(uuid.uuid4().hex, acct.trader_id,
                                               trade["trade_id"]))
    except AlpacaError as exc:
        return {"id": oid, "status": exc.status,
                "body": {"code": exc.code, "message": exc.message}}
    if rec is None:
        return {"id": oid, "status": 504,
                "body": {"code": 50010000, "message": "no answer in time; it may still cancel"}}
    return {"id": oid, "status": 200, "body": None}
