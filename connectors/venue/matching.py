"""The engine's primitives: cross an order against its book, rest or close what remains,
post market-maker quotes, and append to the report log. Pure, like the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .book import SELL, Order
from .market_maker import Quote
from .protocol import FOK, GTC, IOC, LIMIT, MARKET, Report

if TYPE_CHECKING:
    from .engine import Engine

FILLED, PARTIAL, EXPIRED, CANCELED, REJECTED = (
    "FILLED", "PARTIALLY_FILLED", "EXPIRED", "CANCELED", "REJECTED")


def execute(e: Engine, o: Order) -> None:
    """Match what crosses, then rest the remainder or expire it."""
    book = e.books[o.symbol]
    want = o.quantity - o.cum_qty
    if o.tif == FOK and book.available(o.side, o.price, want) < want:
        close(e, o, EXPIRED, "fill or kill: not enough liquidity")
        return
    for m, n, px in book.match(o.side, o.price, want):
        o.cum_qty += n
        o.status = FILLED if o.cum_qty == o.quantity else PARTIAL
        report(e, "TRADE", o, last_qty=n, last_price=px)
        _passive(e, m, n, px)
    if o.status == FILLED:
        e.open.pop(o.xid, None)
    elif o.order_type == MARKET or o.tif in (IOC, FOK):
        close(e, o, EXPIRED, "no more liquidity within the price" if o.cum_qty else
              "no liquidity within the price")
    else:
        e.ticket += 1
        book.add(o, e.ticket)
        e.open[o.xid] = o


def close(e: Engine, o: Order, status: str, text: str, clid: str | None = None,
          orig: str | None = None) -> None:
    o.status = status
    e.open.pop(o.xid, None)
    report(e, status, o, clid, orig, text=text)


def _passive(e: Engine, m: Order, n: int, px: int) -> None:
    """The resting side of a match (the book has already added `n` to its cum_qty)."""
    m.status = FILLED if m.cum_qty == m.quantity else PARTIAL
    if m.mm_level >= 0:  # the market maker's own fills are not reported
        if m.status == FILLED:
            e.mm.taken(m.symbol, m.side, m.mm_level)
        return
    if m.status == FILLED:
        del e.open[m.xid]
    report(e, "TRADE", m, last_qty=n, last_price=px)


def requote(e: Engine, symbol: str, q: Quote) -> None:
    """Post a taken quote again. Orders resting strictly through its price (a bid above
    the offer it would post) trade with it first, at their own price, as any seller would
    take them: before, one such bid kept the whole ladder off the book until it was
    cancelled, and most later orders found nothing to trade with. An order resting at the
    quote's own price keeps it off (the book would be locked) and waits for other
    traders, as does an order the quote is taken in full by: the level is queued again."""
    side, level, price, qty = q
    book = e.books[symbol]
    got = 0
    for m, n, px in book.match(side, price + 1 if side == SELL else price - 1, qty):
        got += n
        _passive(e, m, n, px)
    if got < qty and book.opposite(side).best() != price:
        post(e, symbol, (side, level, price, qty - got))
    else:
        e.mm.taken(symbol, side, level)


def post(e: Engine, symbol: str, q: Quote) -> None:
    side, level, price, qty = q
    e.next_mid += 1
    o = Order(f"M{e.next_mid}", f"mm{e.next_mid}", symbol, side, LIMIT, GTC, qty,
              price, mm_level=level)
    e.ticket += 1
    e.books[symbol].add(o, e.ticket)


def report(e: Engine, kind: str, o: Order, clid: str | None = None, orig: str | None = None,
           last_qty: int = 0, last_price: int = 0, text: str = "") -> None:
    e.seq += 1
    e.reports.append(Report(e.seq, f"E{e.seq}", kind, clid or o.clid, orig, o.xid,
                            o.symbol, o.side, last_qty, last_price, o.cum_qty, o.leaves,
                            text))
    if len(e.reports) > 2 * e.max_reports:  # amortised O(1) trimming
        del e.reports[: len(e.reports) - e.max_reports]
