"""The engine's instructions, one function a kind: new, cancel, replace, end of day.

Each returns the order it touched and the status to answer with; the engine (engine.py)
dispatches to them and remembers the answer for idempotency.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from brokerage.domain.refdata import RefData

from .book import OPEN_STATUSES, Order
from .matching import CANCELED, EXPIRED, REJECTED, close, execute, report
from .protocol import DAY, LIMIT, Instr

if TYPE_CHECKING:
    from .engine import Engine


def unit(seed: int, key: str) -> float:
    """A reproducible draw in [0, 1) for one instruction."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def new(e: Engine, i: Instr) -> tuple[Order, str]:
    e.next_xid += 1
    qty = i.quantity or 0
    o = Order(f"X{e.next_xid}", i.id, i.symbol, i.side, i.order_type, i.tif, qty,
              i.limit_price)
    e.orders[i.id] = o
    reason = invalid(e.refdata, i.symbol, i.order_type, qty, i.limit_price)
    if not reason and e.reject_rate > 0 and unit(e.seed, i.id) < e.reject_rate:
        reason = "simulated reject"
    if reason:
        o.status = REJECTED
        report(e, REJECTED, o, text=reason)
    else:
        report(e, "NEW", o)
        if o.tif == DAY and i.expire_ms and (i.at_ms or 0) >= i.expire_ms:
            close(e, o, EXPIRED, "its session closed before it arrived")
        else:
            execute(e, o)
    return o, o.status


def cancel(e: Engine, i: Instr) -> tuple[Order, str]:
    o = e.orders[i.orig]
    if o.status not in OPEN_STATUSES:
        report(e, "CANCEL_REJECTED", o, i.id, i.orig, text=f"order is {o.status}")
        return o, "CANCEL_REJECTED"
    e.books[o.symbol].remove(o)
    close(e, o, CANCELED, "", i.id, i.orig)
    return o, CANCELED


def replace(e: Engine, i: Instr) -> tuple[Order, str]:
    o = e.orders[i.orig]
    qty = o.quantity if i.quantity is None else i.quantity
    price = o.price if i.limit_price is None else i.limit_price
    if o.status not in OPEN_STATUSES:
        reason = f"order is {o.status}"
    else:
        reason = invalid(e.refdata, o.symbol, o.order_type, qty, price)
        if not reason and qty <= o.cum_qty:
            reason = f"quantity must exceed the filled quantity {o.cum_qty}"
    if reason:
        report(e, "REPLACE_REJECTED", o, i.id, i.orig, text=reason)
        return o, "REPLACE_REJECTED"
    book = e.books[o.symbol]
    tif = i.tif or o.tif
    # Only a pure reduction keeps its place: a new price, more shares or another time in
    # force is a new order in all but id, at the back of its level (or crossing at once).
    keep = price == o.price and qty <= o.quantity and tif == o.tif
    if keep:
        book.reduce(o, o.quantity - qty)
    else:
        book.remove(o)
    e.orders[i.id] = o
    o.clid, o.quantity, o.price, o.tif = i.id, qty, price, tif
    report(e, "REPLACED", o, orig=i.orig)
    if not keep:
        execute(e, o)  # a new price may cross; else it joins the back of its level
    return o, o.status


def end_of_day(e: Engine) -> int:
    day = [o for o in e.open.values() if o.tif == DAY]
    for o in day:
        e.books[o.symbol].remove(o)
        close(e, o, EXPIRED, "end of day")
    return len(day)


def invalid(refdata: RefData, symbol: str, order_type: str, qty: int,
            price: int | None) -> str:
    inst = refdata.instruments.get(symbol)
    if inst is None:
        return "unknown symbol"
    if qty <= 0 or qty % inst.lot or qty > refdata.max_quantity:
        return f"quantity must be a positive multiple of the lot {inst.lot}, within limits"
    if price is None:
        return "limit price required" if order_type == LIMIT else ""
    if price <= 0 or price % inst.tick_minor or price > refdata.max_price_minor:
        return f"price must be a positive multiple of the tick {inst.tick_minor}"
    return ""
