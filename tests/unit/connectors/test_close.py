"""The venue's daily close: when it falls, that it expires resting DAY orders only, and that
a DAY order arriving after the end of the session it was booked in expires at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from brokerage.domain.hours import parse_close, seconds_until, session_end_ms
from brokerage.domain.refdata import load
from connectors.venue.close import close_daily
from connectors.venue.engine import Engine
from connectors.venue.journal import restore
from connectors.venue.market_maker import MarketMakerConfig
from connectors.venue.protocol import BadRequest, parse_new
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


def _new(cid: str, tif: str = "DAY", expire: int | None = None) -> dict[str, object]:
    body: dict[str, object] = {"client_order_id": cid, "symbol": "AAPL", "side": "BUY",
                               "order_type": "LIMIT", "time_in_force": tif, "quantity": 5,
                               "limit_price": 10_000}  # far below the market: it would rest
    if expire is not None:
        body["expire_at_ms"] = expire
    return body


def test_a_day_order_arriving_after_its_session_ended_expires_at_once(tmp_path: Path
                                                                      ) -> None:
    """Its NEW and EXPIRED reports, nothing resting; a GTC one, or a DAY one still in its
    session, rests. A resend later is the same order; a replay from the journal decides
    the same, whatever the time it runs at."""
    now = [1_000_000]

    async def go() -> tuple[dict[str, object], list[tuple[str, str]]]:
        engine, journal = restore(load(), tmp_path / "venue", seed=1, reject_rate=0.0)
        venue = Venue(engine, journal, clock_ms=lambda: now[0])
        answers = [await venue.execute(parse_new(b)) for b in (
            _new("late:0", expire=999_999), _new("gtc:0", "GTC", expire=999_999),
            _new("inday:0", expire=1_000_001), _new("plain:0"))]
        assert [a[1]["status"] for a in answers] == ["EXPIRED", "NEW", "NEW", "NEW"]
        now[0] = 5_000_000  # a resend, sessions later: the venue's first answer stands
        again = await venue.execute(parse_new(_new("late:0", expire=999_999)))
        assert again == (200, {**answers[0][1], "duplicate": True})
        moved = await venue.execute(parse_new(_new("inday:0", expire=4_000_000)))
        assert moved[1]["duplicate"] and moved[1]["status"] == "NEW"
        await venue.close()
        return engine.to_state(), [(r.exec_type, r.client_order_id)
                                   for r in engine.reports_after(0, 100)]

    state, reports = asyncio.run(go())
    assert reports == [("NEW", "late:0"), ("EXPIRED", "late:0"), ("NEW", "gtc:0"),
                       ("NEW", "inday:0"), ("NEW", "plain:0")]
    replayed, j = restore(load(), tmp_path / "venue", seed=1, reject_rate=0.0)
    j.close()
    assert replayed.to_state() == state
    assert sorted(o["client_order_id"] for o in replayed.open_orders()) == \
        ["gtc:0", "inday:0", "plain:0"]


def test_an_expiry_time_must_be_a_positive_epoch_ms() -> None:
    assert parse_new(_new("x", expire=1)).expire_ms == 1
    for bad in (0, -5, "soon", 1.5):
        with pytest.raises(BadRequest, match="expire_at_ms"):
            parse_new(_new("x", expire=bad))  # type: ignore[arg-type]


def test_the_session_of_an_order_ends_at_the_next_close_after_its_booking() -> None:
    close = time(21, 0)
    ms = lambda d: int(d.timestamp() * 1000)  # noqa: E731
    assert session_end_ms(ms(at(10)), close) == ms(at(21))
    assert session_end_ms(ms(at(21)), close) == ms(at(21) + timedelta(days=1))
    assert session_end_ms(ms(at(20, 59, 59)) + 999, close) == ms(at(21))
