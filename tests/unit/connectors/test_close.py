"""The venue's daily close: when it falls, and that it expires resting DAY orders only."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from brokerage.domain.hours import parse_close, seconds_until
from brokerage.domain.refdata import load
from connectors.venue.close import close_daily
from connectors.venue.engine import Engine
from connectors.venue.market_maker import MarketMakerConfig
from connectors.venue.protocol import parse_new
from connectors.venue.venue import Venue


def at(h: int, m: int = 0, s: int = 0) -> datetime:
    return datetime(2026, 11, 25, h, m, s, tzinfo=UTC)


def test_the_next_close_is_strictly_after_now() -> None:
    close = time(21, 0)
    assert seconds_until(close, at(10)) == 11 * 3600
    assert seconds_until(close, at(21)) == 24 * 3600  # just closed: the next is tomorrow's
    assert seconds_until(close, at(22)) == 23 * 3600
    assert seconds_until(close, at(20, 59, 59)) == 1


def test_close_times_parse_or_fail_clearly() -> None:
    assert parse_close("") is None and parse_close("  ") is None
    assert parse_close("21:00") == time(21, 0)
    assert parse_close("20:30:15") == time(20, 30, 15)
    for bad in ("25:00", "9pm", "21:00+02:00"):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_close(bad)


def test_at_the_close_resting_day_orders_expire_and_gtc_ones_stay() -> None:
    def order(cid: str, tif: str) -> dict[str, object]:
        return {"client_order_id": cid, "symbol": "AAPL", "side": "BUY", "order_type": "LIMIT",
                "time_in_force": tif, "quantity": 5, "limit_price": 10_000}  # far below: rests

    async def go() -> None:
        venue = Venue(Engine(load(), seed=1, mm=MarketMakerConfig(levels=1)))
        await venue.execute(parse_new(order("day:0", "DAY")))
        await venue.execute(parse_new(order("gtc:0", "GTC")))
        stop = asyncio.Event()
        close = (datetime.now(UTC) + timedelta(seconds=0.5)).time()
        task = asyncio.create_task(close_daily(venue, close, stop))
        for _ in range(100):
            expired = [r.client_order_id for r in venue.engine.reports_after(0, 100)
                       if r.exec_type == "EXPIRED"]
            if expired:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(task, 5)
        assert expired == ["day:0"]
        assert [o["client_order_id"] for o in venue.engine.open_orders()] == ["gtc:0"]
        await venue.close()

    asyncio.run(go())
