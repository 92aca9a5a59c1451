"""The trading day's close: at a configured UTC time each day the venue expires its resting
DAY orders. Each gets an EXPIRED report on the stream, which the worker applies like any
other report (the trade ends EXPIRED and its block is released). A close missed while the
simulator was down is not made up on restart."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time

from brokerage.domain.hours import seconds_until

from .protocol import EOD, Instr
from .venue import Venue

log = logging.getLogger(__name__)


async def close_daily(venue: Venue, close: time, stop: asyncio.Event,
                      now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=seconds_until(close, now()))
            return
        except TimeoutError:
            pass
        status, answer = await venue.execute(Instr(EOD))  # journaled like any instruction
        log.info("market close (%s UTC): %s DAY order(s) expired (%d)", close,
                 answer.get("expired"), status)
        await asyncio.sleep(1)  # past the close's second: the next wait is a whole day
