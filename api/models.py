"""HTTP request bodies (pydantic). Unknown fields are refused, and so are wrong types: counts
are JSON integers only (not "1", 1.0 or true). Prices and amounts stay decimal strings or
numbers, as the OpenAPI document describes them."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from brokerage.domain.types import OrderType, Side, TimeInForce, TradeStatus

ID = r"^[A-Za-z0-9_\-:.]{1,64}$"
# What trade_id_for makes: "<trader id>.<16 hex>", within the 64 characters the request
# codec allows a trade id (so a longer one could never be amended or canceled).
TRADE_ID = r"^[A-Za-z0-9_\-:.]{1,47}\.[0-9a-f]{16}$"
# Strict: a lax int also takes "1", 1.0 and true, which the API documents as wrong types.
Count = Annotated[int, Field(gt=0, lt=10**12, strict=True)]


class NewTradeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trader_id: str = Field(pattern=ID)
    side: Side
    symbol: str = Field(pattern=r"^[A-Z0-9.]{1,12}$")
    quantity: Count
    order_type: OrderType = OrderType.LIMIT
    limit_price: Decimal | None = Field(default=None, gt=0, lt=10**10)
    time_in_force: TimeInForce = TimeInForce.DAY
    client_request_id: str | None = Field(default=None, pattern=ID)


class CashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Decimal | None = Field(default=None, gt=0, lt=10**12)
    shares: Count | None = None
    symbol: str | None = Field(default=None, pattern=r"^[A-Z0-9.]{1,12}$")
    client_request_id: str | None = Field(default=None, pattern=ID)


class AmendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Count | None = None
    limit_price: Decimal | None = Field(default=None, gt=0, lt=10**10)
    time_in_force: TimeInForce | None = None  # DAY <-> GTC only (INVALID_TIME_IN_FORCE)
    client_request_id: str | None = Field(default=None, pattern=ID)


# ---- response shapes (documented in OpenAPI; built by api/views.py) ----


class FillOut(BaseModel):
    exec_id: str
    quantity: int
    price: str
    fee: str


class ChangeOut(BaseModel):
    at_ms: int
    status: TradeStatus
    cause: str


class TradeOut(BaseModel):
    trade_id: str
    trader_id: str
    client_request_id: str
    status: TradeStatus
    side: Side
    symbol: str
    order_type: OrderType
    time_in_force: TimeInForce
    quantity: int
    limit_price: str | None
    filled_quantity: int
    average_price: str | None
    fees: str
    blocked_cash: str
    blocked_shares: int
    fills: list[FillOut]
    created_ms: int
    updated_ms: int
    history: list[ChangeOut]


class TradePage(BaseModel):
    trades: list[TradeOut]
    next_cursor: str | None


class Pending(BaseModel):
    status: str
    request_id: str
    status_url: str


class Cash(BaseModel):
    available: str
    blocked: str


class Position(BaseModel):
    available: int
    blocked: int


class WalletOut(BaseModel):
    trader_id: str
    cash: Cash
    holdings: dict[str, Position]
    totals: dict[str, str]


class HoldingsOut(BaseModel):
    trader_id: str
    holdings: dict[str, Position]
