"""What every handler needs: the links to Kafka and the tables, the caller, and the limits."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from brokerage.config import Settings

from . import auth
from .bridge import KafkaBridge
from .errors import ApiError
from .models import ID
from .ratelimit import TokenBuckets, retry_after
from .tables import TableReader

# A retried write with the same key is the same request: answered again, applied once.
IdemKey = Annotated[str | None, Header(pattern=ID, description="the client request id")]


@dataclass
class Context:
    settings: Settings
    bridge: KafkaBridge
    tables: TableReader
    per_trader: TokenBuckets
    per_ip: TokenBuckets


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


Ctx = Annotated[Context, Depends(context)]


BEARER = HTTPBearer(auto_error=False, description="JWT from `brokerage token issue`")


def caller(request: Request, ctx: Ctx, creds: Annotated[
        HTTPAuthorizationCredentials | None, Depends(BEARER)] = None) -> auth.Principal:
    """Authenticate, then charge both rate limits (IP first: it also guards bad tokens)."""
    ip = request.client.host if request.client else "?"
    wait = ctx.per_ip.take(ip)
    if wait:
        raise ApiError(429, "rate_limited", "too many requests from this address",
                       headers={"Retry-After": retry_after(wait)})
    token = f"Bearer {creds.credentials}" if creds else None
    who = auth.verify(ctx.settings.auth_secret.get_secret_value(), token)
    wait = ctx.per_trader.take(who.trader_id)
    if wait:
        raise ApiError(429, "rate_limited", "too many requests for this trader",
                       headers={"Retry-After": retry_after(wait)})
    return who


Caller = Annotated[auth.Principal, Depends(caller)]


def cached_json(request: Request, payload: Any) -> Response:
    """JSON with a strong ETag; 304 when the client already has this version."""
    data = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    tag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
    if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": tag})
    return Response(data, media_type="application/json", headers={"ETag": tag})


def json_response(payload: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)
