"""A circuit breaker for the exchange link: closed -> open after repeated failures -> half-open
after a pause (one probe) -> closed on success, open again on failure."""

from __future__ import annotations

import threading
import time
from enum import IntEnum

from prometheus_client import Counter, Gauge

STATE = Gauge("brokerage_connector_breaker_state",
              "Exchange circuit breaker: 0 closed, 1 open, 2 half-open")
TRANSITIONS = Counter("brokerage_connector_breaker_transitions_total",
                      "Breaker state changes", ["to"])


class State(IntEnum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class BreakerOpen(Exception):
    """The exchange is considered down; try again after `retry_in` seconds."""

    def __init__(self, retry_in: float) -> None:
        super().__init__(f"circuit open, retry in {retry_in:.1f}s")
        self.retry_in = retry_in


class CircuitBreaker:
    def __init__(self, failures: int = 5, reset_seconds: float = 2.0) -> None:
        self.threshold, self.reset_seconds = failures, reset_seconds
        self.state = State.CLOSED
        self.history: list[State] = [State.CLOSED]  # every state entered, for tests and logs
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._lock = threading.Lock()
        STATE.set(State.CLOSED)

    def before(self) -> None:
        """Call before each attempt: raises BreakerOpen while calls must not go out."""
        with self._lock:
            if self.state is State.OPEN:
                wait = self._opened_at + self.reset_seconds - time.monotonic()
                if wait > 0:
                    raise BreakerOpen(wait)
                self._enter(State.HALF_OPEN)
            if self.state is State.HALF_OPEN:
                if self._probing:
                    raise BreakerOpen(self.reset_seconds / 4)
                self._probing = True

    def success(self) -> None:
        with self._lock:
            self._failures, self._probing = 0, False
            if self.state is not State.CLOSED:
                self._enter(State.CLOSED)

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probing = False
            if self.state is State.HALF_OPEN or self._failures >= self.threshold:
                self._opened_at = time.monotonic()
                if self.state is not State.OPEN:
                    self._enter(State.OPEN)

    def _enter(self, state: State) -> None:
        self.state = state
        self.history.append(state)
        STATE.set(state)
        TRANSITIONS.labels(state.name.lower()).inc()
