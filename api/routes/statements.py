"""/v1/traders/{id}/statement and /history, served from the PostgreSQL reporting store.

Mounted only when the API has a reporting store (a DSN, or the local server)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from brokerage.config import Settings
from brokerage.reporting import queries, render
from brokerage.reporting.dsn import NoDatabaseError, resolve_dsn

from ..deps import Caller, cached_json
from ..errors import ApiError, for_read
from ..models import ID, Cash, Position

TraderId = Annotated[str, Path(pattern=ID)]  # as the workers' codec checks it
MS_MAX = 10**13  # epoch milliseconds: the year 2286


class CashTotal(Cash):
    total: str


class BalancesOut(BaseModel):
    cash: CashTotal
    holdings: dict[str, Position]


class TradeTermsOut(BaseModel):
    trade_id: str
    side: str
    symbol: str
    order_type: str
    time_in_force: str
    quantity: int
    limit_price: str | None
    status: str
    created_ms: int


class StatementTradeOut(TradeTermsOut):
    """The trade's status at the end of the day; its terms as they are now."""


class StatementFillOut(BaseModel):
    exec_id: str
    trade_id: str
    side: str
    symbol: str
    quantity: int
    price: str
    fee: str
    at_ms: int


class MovementOut(BaseModel):
    kind: str
    cause: str
    at_ms: int
    amount: str | None = None
    symbol: str | None = None
    shares: int | None = None


class StatementOut(BaseModel):
    trader_id: str
    date: str
    timezone: str
    opening: BalancesOut
    closing: BalancesOut
    totals: dict[str, str]
    trades: list[StatementTradeOut]
    fills: list[StatementFillOut]
    movements: list[MovementOut]


class HistoryTradeOut(TradeTermsOut):
    client_request_id: str
    filled_quantity: int
    average_price: str | None
    fees: str
    updated_ms: int


class HistoryOut(BaseModel):
    trader_id: str
    trades: list[HistoryTradeOut]


def reporting_dsn(settings: Settings) -> str | None:
    try:
        return resolve_dsn(settings)
    except NoDatabaseError:
        return None


def router(dsn: str) -> APIRouter:
    r = APIRouter(prefix="/v1/traders", tags=["reporting"])

    async def read(fn: Any, *args: Any) -> Any:
        def run() -> Any:
            with psycopg.connect(dsn, connect_timeout=5) as conn:
                return fn(conn, *args)

        try:
            return await asyncio.to_thread(run)
        except (psycopg.Error, queries.NoStoreError) as exc:
            raise ApiError(503, "unavailable", f"reporting store: {exc}",
                           headers={"Retry-After": "1"}) from exc

    @r.get("/{trader_id}/statement", responses=for_read(StatementOut))
    async def statement(trader_id: TraderId, request: Request, who: Caller,
                        day: Annotated[date, Query(alias="date")]) -> Response:
        """The trader's statement for one UTC day, from the reporting store."""
        who.require_trader(trader_id)
        if not await read(queries.known_trader, trader_id):
            raise ApiError(404, "not_found", f"no trader {trader_id} in the reporting store")
        st = await read(queries.statement, trader_id, day)
        return cached_json(request, render.statement_json(st))

    @r.get("/{trader_id}/history", responses=for_read(HistoryOut))
    async def history(trader_id: TraderId, request: Request, who: Caller,
                      since_ms: Annotated[int, Query(ge=0, le=MS_MAX)] = 0,
                      until_ms: Annotated[int, Query(ge=0, le=MS_MAX)] = MS_MAX,
                      symbol: Annotated[str | None, Query(pattern=r"^[A-Z0-9.]{1,12}$")] = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Response:
        """Every trade ever booked (also those the live tables no longer keep), newest first."""
        who.require_trader(trader_id)
        since, until = queries.moment(since_ms), queries.moment(until_ms)
        rows = await read(queries.trade_history, trader_id, since, until, symbol, limit)
        return cached_json(request, {"trader_id": trader_id,
                                     "trades": [render.history_json(t) for t in rows]})

    return r
