"""A deadline for the worker's graceful stop.

faust stops the consumer first, and with the broker gone aiokafka's consumer thread dies in
its own `stop()` while the worker waits a minute for it (then Kubernetes' grace period
ends it anyway). Nothing needs that wait: whatever was not committed is read again by the
partition's next owner, and a delivered output a second time is what every consumer of
ours already tolerates. So once a stop is asked for, the process gets `seconds` to finish
it, then leaves with exit code 1.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import faust

log = logging.getLogger("brokerage.worker")


def exit_after(seconds: float) -> threading.Timer:
    """Leave the process in `seconds` unless it has left by then."""
    timer = threading.Timer(seconds, _leave, args=(seconds,))
    timer.daemon = True  # a stop that finishes in time exits without waiting for it
    timer.start()
    return timer


def _leave(seconds: float) -> None:
    log.error("still stopping after %.0f s: leaving now; the inputs since the last commit "
              "are read again by whoever owns them next", seconds)
    for handler in logging.getLogger().handlers:
        try:
            handler.flush()
        except Exception:  # noqa: S110 - leaving regardless
            pass
    os._exit(1)


class Worker(faust.Worker):
    """faust's worker, with a deadline on the stop a signal starts."""

    stop_seconds = 20.0
    _deadline: threading.Timer | None = None

    def _schedule_shutdown(self, signal: Any) -> None:
        if self._deadline is None:
            self._deadline = exit_after(self.stop_seconds)
        super()._schedule_shutdown(signal)
