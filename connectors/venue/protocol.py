"""Wire types of the venue (docs/exchange-protocol.md): instructions, reports, body parsing."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from .book import BUY, SELL, Order

NEW, CANCEL, REPLACE, EOD, CONFIG = "new", "cancel", "replace", "eod", "config"
LIMIT, MARKET = "LIMIT", "MARKET"
DAY, GTC, IOC, FOK = "DAY", "GTC", "IOC", "FOK"
SIDES, TYPES, TIFS = (BUY, SELL), (LIMIT, MARKET), (DAY, GTC, IOC, FOK)
MAX_ID = 200

Answer = tuple[int, dict[str, Any]]  # (HTTP status, JSON body)


class BadRequest(ValueError):
    """A body the venue cannot read: answered 400, never journaled."""


@dataclass(slots=True)
class Instr:
    """One instruction, as journaled. Equality is the idempotency fingerprint.

    Treat as immutable (not frozen only because frozen dataclasses are slow to build)."""

    op: str
    id: str = ""
    orig: str = ""
    symbol: str = ""
    side: str = ""
    order_type: str = ""
    tif: str = ""
    quantity: int | None = None
    limit_price: int | None = None
    reject_rate: float | None = None
    # NEW only. The end of the session a DAY order was booked in (epoch ms), and when the
    # venue took the order (stamped at submit, journaled): it expires at once if it arrives
    # after that end. Neither is part of the idempotency fingerprint: a resend is the same
    # order whenever it comes.
    expire_ms: int | None = field(default=None, compare=False)
    at_ms: int | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        # Not asdict: its deep copy of these scalars was ~6 % of a busy simulator's CPU.
        return {k: v for k in _INSTR_FIELDS
                if (v := getattr(self, k)) is not None and v != ""}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Instr:
        return cls(**d)


_INSTR_FIELDS = tuple(f.name for f in fields(Instr))


class Report(NamedTuple):
    seq: int
    exec_id: str
    exec_type: str
    client_order_id: str
    orig_client_order_id: str | None
    exchange_order_id: str
    symbol: str
    side: str
    last_qty: int
    last_price: int
    cum_qty: int
    leaves_qty: int
    text: str


def order_view(o: Order) -> dict[str, Any]:
    return {"client_order_id": o.clid, "exchange_order_id": o.xid, "symbol": o.symbol,
            "side": o.side, "order_type": o.order_type, "time_in_force": o.tif,
            "quantity": o.quantity, "cum_qty": o.cum_qty, "leaves_qty": o.leaves,
            "limit_price": o.price, "status": o.status}


def _str(body: dict[str, Any], key: str, choices: tuple[str, ...] = (), default: str = "") -> str:
    v = body.get(key) or default
    if not isinstance(v, str) or not v or len(v) > MAX_ID:
        raise BadRequest(f"{key}: a non-empty string of at most {MAX_ID} characters is required")
    if choices and v not in choices:
        raise BadRequest(f"{key}: one of {', '.join(choices)}")
    return v


def _int(body: dict[str, Any], key: str, required: bool) -> int | None:
    v = body.get(key)
    if v is None and not required:
        return None
    if not isinstance(v, int) or isinstance(v, bool):
        raise BadRequest(f"{key}: an integer is required")
    return v


def _obj(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("a JSON object is required")
    return body


def parse_new(body: Any) -> Instr:
    b = _obj(body)
    return Instr(NEW, _str(b, "client_order_id"), symbol=_str(b, "symbol"),
                 side=_str(b, "side", SIDES), order_type=_str(b, "order_type", TYPES),
                 tif=_str(b, "time_in_force", TIFS, default=DAY),
                 quantity=_int(b, "quantity", True), limit_price=_int(b, "limit_price", False),
                 expire_ms=_expiry(b))


def _expiry(b: dict[str, Any]) -> int | None:
    v = _int(b, "expire_at_ms", False)
    if v is not None and v <= 0:
        raise BadRequest("expire_at_ms: a positive epoch time in milliseconds")
    return v


def parse_cancel(orig: str, body: Any) -> Instr:
    return Instr(CANCEL, _str(_obj(body), "client_order_id"), orig=orig)


def parse_replace(orig: str, body: Any) -> Instr:
    b = _obj(body)
    tif = _str(b, "time_in_force", TIFS) if b.get("time_in_force") is not None else ""
    return Instr(REPLACE, _str(b, "client_order_id"), orig=orig, tif=tif,
                 quantity=_int(b, "quantity", False), limit_price=_int(b, "limit_price", False))
