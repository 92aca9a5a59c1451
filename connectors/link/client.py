"""The exchange's HTTP API, with retries (exponential backoff, full jitter) on timeouts,
connection errors and 5xx, behind a circuit breaker. 4xx answers are not retried."""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import httpx
from prometheus_client import Counter

from .breaker import BreakerOpen, CircuitBreaker

log = logging.getLogger("brokerage.connector")
CALLS = Counter("brokerage_connector_exchange_calls_total", "Exchange calls", ["outcome"])


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
             params: dict[str, Any] | None = None, timeout: float | None = None) -> Any:
        for attempt in range(self._attempts):
            try:
                self.breaker.before()
            except BreakerOpen as exc:
                CALLS.labels("breaker_open").inc()
                raise ExchangeUnavailable(str(exc)) from exc
            try:
                r = self._http.request(method, path, json=json, params=params,
                                       timeout=timeout or httpx.USE_CLIENT_DEFAULT)
            except httpx.TransportError as exc:  # timeouts and refused connections
                self._failed(attempt, f"{type(exc).__name__}: {exc}")
                continue
            if r.status_code >= 500:
                self._failed(attempt, f"HTTP {r.status_code}")
                continue
            self.breaker.success()
            if r.status_code >= 400:
                CALLS.labels("refused").inc()
                raise ExchangeRefused(r.status_code, r.text)
            CALLS.labels("ok").inc()
            return r.json()
        raise ExchangeUnavailable(f"{method} {path}: {self._attempts} attempts failed")

    def _failed(self, attempt: int, why: str) -> None:
        CALLS.labels("failed").inc()
        self.breaker.failure()
        delay = self._rng.uniform(0, min(self._max_backoff, self._backoff * 2**attempt))
        log.warning("exchange call failed (%s); retry in %.2fs", why, delay)
        time.sleep(delay)
