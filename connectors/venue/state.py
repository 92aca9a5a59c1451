"""The engine's whole state as JSON-able data, and back: what a snapshot holds."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from brokerage.domain.refdata import RefData

from .book import Order
from .market_maker import MarketMaker
from .protocol import Instr, Report

if TYPE_CHECKING:
    from .engine import Engine


def to_state(e: Engine) -> dict[str, Any]:
    uniq: dict[str, Order] = {}
    for o in e.orders.values():
        uniq.setdefault(o.xid, o)
    for book in e.books.values():
        for side in (book.bids, book.asks):
            uniq.update((o.xid, o) for o in side.orders() if o.mm_level >= 0)
    return {
        "seed": e.seed, "reject_rate": e.reject_rate, "max_reports": e.max_reports,
        "max_instructions": e.max_instructions, "seq": e.seq,
        "next_xid": e.next_xid, "next_mid": e.next_mid, "ticket": e.ticket,
        "mm": e.mm.to_state(), "orders": [asdict(o) for o in uniq.values()],
        "order_ids": {clid: o.xid for clid, o in e.orders.items()},
        "open": list(e.open),
        "done": [[i.to_dict(), x, s] for i, x, s in e.done.values()],
        "reports": [list(r) for r in e.reports_after(0, e.max_reports)],
    }


def from_state(cls: type[Engine], refdata: RefData, st: dict[str, Any]) -> Engine:
    e = cls(refdata, st["seed"], st["reject_rate"], None, st["max_reports"],
            st["max_instructions"], seed_books=False)
    e.seq, e.next_xid, e.next_mid, e.ticket = st["seq"], st["next_xid"], st["next_mid"], \
        st["ticket"]
    e.mm = MarketMaker.from_state(refdata, st["mm"])
    by_xid = {d["xid"]: Order(**d) for d in st["orders"]}
    for o in sorted((o for o in by_xid.values() if o.ticket), key=lambda o: o.ticket):
        e.books[o.symbol].add(o, o.ticket)
    e.orders = {clid: by_xid[x] for clid, x in st["order_ids"].items()}
    e.open = {x: by_xid[x] for x in st["open"]}
    for d, x, s in st["done"]:
        i = Instr.from_dict(d)
        e.done[i.id] = (i, x, s)
    e.reports = [Report(*r) for r in st["reports"]]
    return e
