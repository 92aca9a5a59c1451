"""An Alpaca-compatible facade (Trading API v2 subset) over the same core as /v1.

It translates and adds no business rules: requests are published and answered as /v1's
are, reads come from the workers' tables. See README, "Alpaca-compatible API".
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from . import accounts, orders, stream
from .errors import NOT_FOUND
from .runtime import Alpaca

router = APIRouter()
router.include_router(orders.router)
router.include_router(accounts.router)
router.include_router(stream.router)


@router.api_route("/v2/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
async def unsupported(path: str) -> JSONResponse:
    """Watchlists, options, crypto, activities, calendar... are not offered (see README)."""
    return JSONResponse({"code": NOT_FOUND, "message": "endpoint not found"}, status_code=404)


__all__ = ["Alpaca", "router"]
