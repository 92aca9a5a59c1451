"""Publish a request and turn the worker's answer into an HTTP response."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from brokerage.domain import events as ev

from . import views
from .deps import Context
from .errors import ApiError

CONFLICT = {"DUPLICATE_REQUEST"}


async def submit(ctx: Context, req: ev.Request, trade_id: str | None, created: int) -> JSONResponse:
    rec = await ctx.bridge.submit(req, ctx.settings.api_response_timeout_seconds)
    if rec is None:
        return pending(req, trade_id, "PENDING")
    if not rec["accepted"]:
        reason = rec["reason"] or "REJECTED"
        status = 409 if reason in CONFLICT else 422
        raise ApiError(status, reason, rec["message"],
                       {"reason": reason, "request_id": req.request_id})
    try:
        state = await ctx.tables.trader(req.trader_id)
    except ConnectionError:  # accepted, but not readable now: the client reads it later
        return pending(req, trade_id, "ACCEPTED")
    if state is not None and trade_id is None:
        return JSONResponse(views.wallet_json(state), status_code=created)
    trade = views.find_trade(state, trade_id) if state and trade_id else None
    if trade is None:
        return pending(req, trade_id, "ACCEPTED")
    return JSONResponse(trade, status_code=created,
                        headers={"Location": f"/v1/trades/{trade_id}"})


def pending(req: ev.Request, trade_id: str | None, status: str) -> JSONResponse:
    """202 in the documented Pending shape, with where to read the outcome: PENDING when no
    answer came in time, ACCEPTED when one did but the table could not be read."""
    url = f"/v1/trades/{trade_id}" if trade_id else f"/v1/traders/{req.trader_id}/wallet"
    return JSONResponse({"status": status, "request_id": req.request_id,
                         "status_url": url}, status_code=202, headers={"Location": url})
