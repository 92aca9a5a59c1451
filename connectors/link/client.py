"""The exchange's HTTP API, with retries (exponential backoff, full jitter) on timeouts,
connection errors and 5xx, behind a circuit breaker. 4xx answers are not retried."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx
from prometheus_client import Counter, Histogram

from brokerage.adapters import fastjson

from .breaker import BreakerOpen, CircuitBreaker

log = logging.getLogger("brokerage.connector")
CALLS = Counter("brokerage_connector_exchange_calls_total", "Exchange calls", ["outcome"])
RETRIES = Counter("brokerage_connector_exchange_retries_total",
                  "Exchange calls tried again after a timeout, refused connection or 5xx")
ROUND_TRIP = Histogram(
    "brokerage_connector_exchange_round_trip_seconds",
    "One HTTP exchange call, sent to answered, by operation (executions is a long poll)", ["op"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
_JSON = {"Content-Type": "application/json"}


class ExchangeUnavailable(Exception):
    """Retries are exhausted or the breaker is open: the caller must wait and try again."""


class ExchangeRefused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body[:200]}")
        self.status = status


class ExchangeClient:
    def __init__(self, base_url: str, breaker: CircuitBreaker, *, attempts: int = 4,
                 backoff: float = 0.05, max_backoff: float = 2.0, timeout: float = 5.0) -> None:
        self.breaker = breaker
        self._http = httpx.Client(base_url=base_url, timeout=timeout)
        self._attempts, self._backoff, self._max_backoff = attempts, backoff, max_backoff
        self._rng = random.Random()

    def close(self) -> None:
        self._http.close()

    def call(self, method: str, path: str, *, json: Any = None,
             params: dict[str, Any] | None = None, timeout: float | None = None,
             headers: dict[str, str] | None = None) -> Any:
        op = operation(method, path)
        body = None if json is None else fastjson.dumpb(json)
        sent_headers = headers if body is None else {**(headers or {}), **_JSON}
        for attempt in range(self._attempts):
            if attempt:
                RETRIES.inc()
            try:
                self.breaker.before()
            except BreakerOpen as exc:
                CALLS.labels("breaker_open").inc()
                raise ExchangeUnavailable(str(exc)) from exc
            started = time.perf_counter()
            try:
                r = self._http.request(method, path, content=body, params=params,
                                       headers=sent_headers,
                                       timeout=timeout or httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as exc:  # timeouts and refused connections
                self._failed(attempt, f"{type(exc).__name__}: {exc}")
                continue
            finally:
                ROUND_TRIP.labels(op).observe(time.perf_counter() - started)
            if r.status_code >= 500:
                self._failed(attempt, f"HTTP {r.status_code}")
                continue
            self.breaker.success()
            if r.status_code >= 400:
                CALLS.labels("refused").inc()
                raise ExchangeRefused(r.status_code, r.text)
            CALLS.labels("ok").inc()
            return fastjson.loads(r.content)
        raise ExchangeUnavailable(f"{method} {path}: {self._attempts} attempts failed")

    def _failed(self, attempt: int, why: str) -> None:
        CALLS.labels("failed").inc()
        self.breaker.failure()
        delay = self._rng.uniform(0, min(self._max_backoff, self._backoff * 2**attempt))
        log.warning("exchange call failed (%s); retry in %.2fs", why, delay)
        time.sleep(delay)


def operation(method: str, path: str) -> str:
    """A bounded label for a call: batch, new, cancel, replace, open_orders, executions,
    other."""
    if method == "POST":
        if path in ("/orders", "/orders/batch"):
            return "new" if path == "/orders" else "batch"
        return path.rsplit("/", 1)[-1] if path.endswith(("/cancel", "/replace")) else "other"
    return {"/orders": "open_orders", "/executions": "executions"}.get(path, "other")
