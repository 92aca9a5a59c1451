"""The caller of a /v2 route: APCA-API-KEY-ID and APCA-API-SECRET-KEY, looked up in the API
keys; rate limited by client address and by trader with /v1's token buckets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Header, Request

from api.auth import Principal
from api.deps import Context
from api.ratelimit import retry_after
from brokerage.domain.refdata import RefData

from .errors import RATE_LIMITED, UNAUTHORIZED, AlpacaError

if TYPE_CHECKING:
    from .runtime import Alpaca


def runtime(request: Request) -> Alpaca:
    alpaca: Alpaca = request.app.state.alpaca
    return alpaca


def _limit(wait: float) -> None:
    if wait:
        raise AlpacaError(429, RATE_LIMITED, "rate limit exceeded",
                          {"Retry-After": retry_after(wait)})


@dataclass(frozen=True, slots=True)
class Account:
    """What a /v2 handler needs: who calls, and the links to Kafka, tables and refdata."""

    who: Principal
    ctx: Context
    refdata: RefData

    @property
    def trader_id(self) -> str:
        return self.who.trader_id


async def account(
    request: Request,
    key_id: Annotated[str | None, Header(alias="APCA-API-KEY-ID")] = None,
    secret: Annotated[str | None, Header(alias="APCA-API-SECRET-KEY")] = None,
) -> Account:
    ctx: Context = request.app.state.ctx
    _limit(ctx.per_ip.take(request.client.host if request.client else "?"))
    if not key_id or not secret:
        raise AlpacaError(401, UNAUTHORIZED, "request is not authorized")
    alpaca = runtime(request)
    who = await alpaca.keys.authenticate(key_id, secret)
    if who is None:
        raise AlpacaError(401, UNAUTHORIZED, "request is not authorized")
    _limit(ctx.per_trader.take(who.trader_id))
    return Account(who, ctx, alpaca.refdata)


Caller = Annotated[Account, Depends(account)]
