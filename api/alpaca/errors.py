"""Alpaca's error shape, {"code", "message"}, with its HTTP statuses and 8-digit codes.

Every /v2 route uses `AlpacaRoute`, which turns whatever a handler or dependency raises
(ours, /v1's ApiError, FastAPI's validation errors, an unreachable worker) into that shape.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.errors import ApiError
from brokerage.domain.types import RejectReason as R

INVALID = 40010001  # Alpaca's code for a parameter problem (sent with HTTP 422)
UNAUTHORIZED = 40110000
FORBIDDEN = 40310000  # also insufficient buying power / quantity
NOT_FOUND = 40410000
UNPROCESSABLE = 42210000  # the order is in a state that does not allow it
RATE_LIMITED = 42910000
UNAVAILABLE = 50010000

DUPLICATE_CLIENT_ORDER_ID = "client_order_id must be unique"


class AlpacaError(Exception):
    def __init__(self, status: int, code: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers

    def response(self) -> JSONResponse:
        return JSONResponse({"code": self.code, "message": self.message},
                            status_code=self.status, headers=self.headers)


def invalid(message: str) -> AlpacaError:
    return AlpacaError(422, INVALID, message)


def not_found(message: str = "order not found") -> AlpacaError:
    return AlpacaError(404, NOT_FOUND, message)


def replaced(by: str) -> AlpacaError:
    """A replace or cancel naming an order a replace superseded: only its successor is open."""
    return AlpacaError(422, UNPROCESSABLE, f"order is replaced: change the order that "
                       f"replaced it ({by})")


def for_reject(reason: str, message: str) -> AlpacaError:
    """The Alpaca answer to one of our reject reasons (README: Reject reasons)."""
    if reason == R.INSUFFICIENT_FUNDS:
        return AlpacaError(403, FORBIDDEN, "insufficient buying power")
    if reason == R.INSUFFICIENT_SHARES:
        return AlpacaError(403, FORBIDDEN, f"insufficient qty available for order: {message}")
    if reason == R.TOO_MANY_OPEN_TRADES:
        return AlpacaError(403, FORBIDDEN, message)
    if reason == R.UNKNOWN_TRADE:
        return not_found()
    if reason in (R.TRADE_NOT_OPEN, R.CHANGE_PENDING):
        return AlpacaError(422, UNPROCESSABLE, message)
    if reason == R.DUPLICATE_REQUEST:
        return invalid(DUPLICATE_CLIENT_ORDER_ID)
    return invalid(message or reason)


def _from_api(exc: ApiError) -> AlpacaError:
    codes = {401: UNAUTHORIZED, 403: FORBIDDEN, 404: NOT_FOUND, 429: RATE_LIMITED}
    code = codes.get(exc.status, UNAVAILABLE if exc.status >= 500 else INVALID)
    return AlpacaError(exc.status, code, exc.message, exc.headers)


def _validation_message(exc: RequestValidationError) -> str:
    first: dict[str, Any] = next(iter(exc.errors()), {})
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "request"
    return f"{where}: {first.get('msg', 'invalid')}"


def convert(exc: Exception) -> AlpacaError | None:
    if isinstance(exc, AlpacaError):
        return exc
    if isinstance(exc, ApiError):
        return _from_api(exc)
    if isinstance(exc, RequestValidationError):
        return invalid(_validation_message(exc))
    if isinstance(exc, ConnectionError):
        return AlpacaError(503, UNAVAILABLE, f"service unavailable: {exc}",
                           {"Retry-After": "1"})
    if isinstance(exc, StarletteHTTPException):
        code = {404: NOT_FOUND, 413: INVALID}.get(exc.status_code, INVALID)
        return AlpacaError(exc.status_code, code, str(exc.detail))
    return None


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class AlpacaRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                alpaca = convert(exc)
                if alpaca is None:
                    raise
                return alpaca.response()

        return route
