"""What each execution-stream page says about the venue itself: that it restarted (its
incarnation id changed) or that its sequence went back below the connector's cursor."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter

log = logging.getLogger("brokerage.connector")
RESTARTS = Counter("brokerage_connector_exchange_restarts_total",
                   "Exchange restarts seen on the execution stream (a new incarnation id)")
REGRESSIONS = Counter("brokerage_connector_seq_regressions_total",
                      "Times the exchange's last sequence number fell below the connector's")


class VenueWatch:
    def __init__(self, on_restart: Callable[[], None] = lambda: None) -> None:
        self.on_restart = on_restart
        self.incarnation: str | None = None  # None until the first page
        self.behind = False  # the venue's last seq is below our cursor

    def check(self, page: dict[str, Any], cursor: int) -> None:
        now = page.get("incarnation")
        if now is not None and now != self.incarnation:
            if self.incarnation is not None:  # the first one is covered by the start's run
                RESTARTS.inc()
                log.warning("exchange restarted (incarnation %s -> %s): reconciling again",
                            self.incarnation, now)
                self.on_restart()
            self.incarnation = now
        last = int(page.get("last_seq", cursor))
        if last < cursor and not self.behind:  # counted once per episode, not per poll
            REGRESSIONS.inc()
            log.error("exchange sequence went back: its last seq is %d, ours %d (it lost "
                      "state?); keeping ours, reports at or below it are not fetched",
                      last, cursor)
        elif last >= cursor and self.behind:
            log.warning("exchange sequence is back at our cursor %d", cursor)
        self.behind = last < cursor
