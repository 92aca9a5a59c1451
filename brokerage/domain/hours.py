"""Market hours: the venue's daily close (UTC), shared by the exchange simulator (which
expires DAY orders then) and the Alpaca clock. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta


def parse_close(text: str) -> time | None:
    """'HH:MM' or 'HH:MM:SS' (UTC); '' means no automatic close."""
    if not text.strip():
        return None
    try:
        t = time.fromisoformat(text.strip())
    except ValueError:
        t = None
    if t is None or t.tzinfo is not None:
        raise ValueError(f"exchange close time {text!r}: expected HH:MM or HH:MM:SS (UTC)")
    return t


def seconds_until(close: time, now: datetime) -> float:
    """Seconds from `now` (aware, UTC) to the next close strictly after it."""
    return (next_close(close, now) - now).total_seconds()


def next_close(close: time, now: datetime) -> datetime:
    at = datetime.combine(now.date(), close, tzinfo=UTC)
    return at if at > now else at + timedelta(days=1)


def session_end_ms(booked_ms: int, close: time) -> int:
    """When the session a DAY order booked at `booked_ms` (epoch ms) belongs to closes: the
    venue must not let the order outlive it (its `expire_at_ms`)."""
    booked = datetime.fromtimestamp(booked_ms / 1000, UTC)
    return int(next_close(close, booked).timestamp() * 1000)
