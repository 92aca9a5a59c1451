"""/v2/account, /v2/positions, /v2/assets and /v2/clock."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from brokerage.config import get_settings
from brokerage.domain.hours import parse_close

from . import portfolio
from .deps import Caller
from .errors import AlpacaRoute, not_found
from .shapes import asset_uuid

router = APIRouter(prefix="/v2", route_class=AlpacaRoute, include_in_schema=False)


@router.get("/account")
async def account(acct: Caller) -> JSONResponse:
    state = await acct.ctx.tables.trader(acct.trader_id)
    return JSONResponse(portfolio.account_json(acct.trader_id, state, acct.refdata))


@router.get("/positions")
async def positions(acct: Caller) -> JSONResponse:
    state = await acct.ctx.tables.trader(acct.trader_id)
    return JSONResponse([portfolio.position_json(state or {}, s, acct.refdata)
                         for s in sorted(portfolio.held(state))])


@router.get("/positions/{symbol_or_asset_id}")
async def position(symbol_or_asset_id: str, acct: Caller) -> JSONResponse:
    state = await acct.ctx.tables.trader(acct.trader_id)
    for symbol in portfolio.held(state):
        if symbol_or_asset_id in (symbol, asset_uuid(symbol)):
            return JSONResponse(portfolio.position_json(state or {}, symbol, acct.refdata))
    raise not_found("position does not exist")


@router.get("/assets")
async def assets(acct: Caller, status: str | None = None, asset_class: str | None = None,
                 exchange: str | None = None, attributes: str | None = None) -> JSONResponse:
    """Every symbol in the reference data is an active, tradable US equity on our venue."""
    if status not in (None, "active") or asset_class not in (None, "us_equity") or exchange:
        return JSONResponse([])
    return JSONResponse([portfolio.asset_json(i) for i in acct.refdata.instruments.values()])


@router.get("/assets/{symbol_or_asset_id}")
async def asset(symbol_or_asset_id: str, acct: Caller) -> JSONResponse:
    for inst in acct.refdata.instruments.values():
        if symbol_or_asset_id in (inst.symbol, asset_uuid(inst.symbol)):
            return JSONResponse(portfolio.asset_json(inst))
    raise not_found("asset not found")


@router.get("/clock")
async def clock(acct: Caller) -> JSONResponse:
    return JSONResponse(portfolio.clock_json(close=parse_close(get_settings().exchange_close_utc)))
