"""One error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details, headers


def body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def response(status: int, code: str, message: str, details: Any = None,
             headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body(code, message, details), status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: Any = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route can answer."""
    text = {400: "Malformed request", 401: "No or bad token", 403: "Not your account",
            404: "Unknown id", 409: "Idempotency key reused with another body",
            413: "Body too large", 422: "Rejected (the code is the reject reason)",
            429: "Rate limited; see Retry-After", 503: "Workers or broker unavailable"}
    return {c: {"model": ErrorBody, "description": text[c]} for c in codes}


def for_write(ok: int, model: type[BaseModel], pending: type[BaseModel]) -> dict[int | str, Any]:
    """OpenAPI responses of a route that publishes a request and waits for its answer."""
    return {**documented(400, 401, 403, 409, 413, 422, 429, 503), 202: {"model": pending},
            ok: {"model": model}}


def for_read(model: type[BaseModel]) -> dict[int | str, Any]:
    """OpenAPI responses of a GET served from the tables, with ETags."""
    return {**documented(400, 401, 403, 404, 429, 503), 200: {"model": model},
            304: {"description": "Not modified (If-None-Match)"}}


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return response(exc.status, exc.code, exc.message, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")}
                   for e in exc.errors()]
        return response(400, "bad_request", "malformed request", details)

    @app.exception_handler(ConnectionError)
    async def _down(_: Request, exc: ConnectionError) -> JSONResponse:
        return response(503, "unavailable", str(exc), headers={"Retry-After": "1"})

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return response(exc.status_code, status_code(exc.status_code), str(exc.detail),
                        headers=dict(exc.headers or {}))  # e.g. 405's Allow


# The codes our own errors use for these statuses, so one status always has one code.
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
         405: "method_not_allowed", 413: "payload_too_large", 429: "rate_limited",
         500: "internal_error", 503: "unavailable"}


def status_code(status: int) -> str:
    """The error code of a bare HTTP status: ours, else its reason phrase in snake case."""
    if status in CODES:
        return CODES[status]
    try:
        return re.sub(r"[^a-z0-9]+", "_", HTTPStatus(status).phrase.lower()).strip("_")
    except ValueError:
        return "client_error" if 400 <= status < 500 else "server_error"
