"""The exchange's whole state and the rules that change it. Pure and deterministic.

`apply(instr)` is a function of the state and the instruction only: the reject knob draws
from hash(seed, instruction id), never from a shared random stream, so replaying the
journal through a fresh engine rebuilds exactly the same books, counters and reports.

Bounds: the last `max_reports` reports are served (older ones are gone from memory and
from snapshots); the last `max_instructions` instruction ids are remembered for
idempotency, plus the ids of every order still open.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict
from typing import Any

from brokerage.domain.refdata import RefData

from .book import OPEN_STATUSES, Book, Order
from .market_maker import MarketMaker, MarketMakerConfig, Quote
from .protocol import (
    CANCEL,
    CONFIG,
    DAY,
    EOD,
    FOK,
    GTC,
    IOC,
    LIMIT,
    MARKET,
    NEW,
    REPLACE,
    Answer,
    Instr,
    Report,
    order_view,
)

FILLED, PARTIAL, EXPIRED, CANCELED, REJECTED = (
    "FILLED", "PARTIALLY_FILLED", "EXPIRED", "CANCELED", "REJECTED")


def unit(seed: int, key: str) -> float:
    """A reproducible draw in [0, 1) for one instruction."""
    digest = hashlib.blake2b(f"{seed}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class Engine:
    def __init__(self, refdata: RefData, seed: int = 0, reject_rate: float = 0.0,
                 mm: MarketMakerConfig | None = None, max_reports: int = 100_000,
                 max_instructions: int = 1_000_000, seed_books: bool = True) -> None:
        self.refdata, self.seed, self.reject_rate = refdata, seed, reject_rate
        self.max_reports, self.max_instructions = max_reports, max_instructions
        self.books = {sym: Book() for sym in refdata.instruments}
        self.orders: dict[str, Order] = {}  # every accepted new/replace client id -> order
        self.open: dict[str, Order] = {}  # exchange order id -> resting brokerage order
        self.done: dict[str, tuple[Instr, str, str]] = {}  # instr id -> (instr, xid, status)
        self.reports: list[Report] = []  # the tail of the log; reports[-1].seq == seq
        self.seq = self.next_xid = self.next_mid = self.ticket = 0
        self.mm = MarketMaker(refdata, mm or MarketMakerConfig())
        if seed_books:
            for sym, q in self.mm.initial():
                self._post(sym, q)

    # ---- reads
    def open_orders(self) -> list[dict[str, Any]]:
        return [order_view(o) for o in self.open.values()]

    @property
    def first_seq(self) -> int:
        return max(1, self.seq - self.max_reports + 1)

    def reports_after(self, after: int, limit: int = 500) -> list[Report]:
        start = max(after + 1, self.first_seq) - (self.seq - len(self.reports) + 1)
        return self.reports[start:start + limit] if limit > 0 else []

    # ---- instructions
    def submit(self, client_order_id: str, symbol: str, side: str, quantity: int,
               limit_price: int | None = None, order_type: str = LIMIT,
               time_in_force: str = DAY) -> Answer:
        return self.apply(Instr(NEW, client_order_id, symbol=symbol, side=side,
                                order_type=order_type, tif=time_in_force, quantity=quantity,
                                limit_price=limit_price))

    def cancel(self, orig_client_order_id: str, client_order_id: str) -> Answer:
        return self.apply(Instr(CANCEL, client_order_id, orig=orig_client_order_id))

    def replace(self, orig_client_order_id: str, client_order_id: str,
                quantity: int | None = None, limit_price: int | None = None,
                time_in_force: str = "") -> Answer:
        return self.apply(Instr(REPLACE, client_order_id, orig=orig_client_order_id,
                                quantity=quantity, limit_price=limit_price, tif=time_in_force))

    def end_of_day(self) -> Answer:
        return self.apply(Instr(EOD))

    def precheck(self, i: Instr) -> Answer | None:
        """The answer when `i` would change nothing (duplicate, 409, 404); else None."""
        if i.op in (EOD, CONFIG):
            return None
        prev = self.done.get(i.id)
        if prev is not None:
            if prev[0] != i:
                return 409, {"error": "client_order_id reused with a different body",
                             "client_order_id": i.id}
            return 200, self._answer(i, prev[1], prev[2], True)
        if i.op != NEW and i.orig not in self.orders:
            return 404, {"error": "unknown order", "orig_client_order_id": i.orig}
        return None

    def apply(self, i: Instr) -> Answer:
        early = self.precheck(i)
        if early is not None:
            return early
        if i.op == EOD:
            return 200, {"expired": self._end_of_day()}
        if i.op == CONFIG:
            self.reject_rate = float(i.reject_rate or 0.0)
            return 200, {"reject_rate": self.reject_rate}
        if i.op == NEW:
            o, status = self._new(i)
        elif i.op == CANCEL:
            o, status = self._cancel(i)
        elif i.op == REPLACE:
            o, status = self._replace(i)
        else:
            raise ValueError(f"unknown instruction {i.op!r}")
        self.done[i.id] = (i, o.xid, status)
        self._evict()
        book = self.books.get(o.symbol)
        if book is not None:
            for q in self.mm.refill(o.symbol, book):
                self._post(o.symbol, q)
        return 200, self._answer(i, o.xid, status, False)

    def _answer(self, i: Instr, xid: str, status: str, dup: bool) -> dict[str, Any]:
        a = {"client_order_id": i.id, "exchange_order_id": xid, "status": status,
             "duplicate": dup}
        if i.op != NEW:
            a["orig_client_order_id"] = i.orig
        return a

    def _new(self, i: Instr) -> tuple[Order, str]:
        self.next_xid += 1
        qty = i.quantity or 0
        o = Order(f"X{self.next_xid}", i.id, i.symbol, i.side, i.order_type, i.tif, qty,
                  i.limit_price)
        self.orders[i.id] = o
        reason = self._invalid(i.symbol, i.order_type, qty, i.limit_price)
        if not reason and self.reject_rate > 0 and unit(self.seed, i.id) < self.reject_rate:
            reason = "simulated reject"
        if reason:
            o.status = REJECTED
            self._report(REJECTED, o, text=reason)
        else:
            self._report("NEW", o)
            self._execute(o)
        return o, o.status

    def _cancel(self, i: Instr) -> tuple[Order, str]:
        o = self.orders[i.orig]
        if o.status not in OPEN_STATUSES:
            self._report("CANCEL_REJECTED", o, i.id, i.orig, text=f"order is {o.status}")
            return o, "CANCEL_REJECTED"
        self.books[o.symbol].remove(o)
        self._close(o, CANCELED, "", i.id, i.orig)
        return o, CANCELED

    def _replace(self, i: Instr) -> tuple[Order, str]:
        o = self.orders[i.orig]
        qty = o.quantity if i.quantity is None else i.quantity
        price = o.price if i.limit_price is None else i.limit_price
        if o.status not in OPEN_STATUSES:
            reason = f"order is {o.status}"
        else:
            reason = self._invalid(o.symbol, o.order_type, qty, price)
            if not reason and qty <= o.cum_qty:
                reason = f"quantity must exceed the filled quantity {o.cum_qty}"
        if reason:
            self._report("REPLACE_REJECTED", o, i.id, i.orig, text=reason)
            return o, "REPLACE_REJECTED"
        book = self.books[o.symbol]
        tif = i.tif or o.tif
        # Only a pure reduction keeps its place: a new price, more shares or another time in
        # force is a new order in all but id, at the back of its level (or crossing at once).
        keep = price == o.price and qty <= o.quantity and tif == o.tif
        if keep:
            book.reduce(o, o.quantity - qty)
        else:
            book.remove(o)
        self.orders[i.id] = o
        o.clid, o.quantity, o.price, o.tif = i.id, qty, price, tif
        self._report("REPLACED", o, orig=i.orig)
        if not keep:
            self._execute(o)  # a new price may cross; else it joins the back of its level
        return o, o.status

    def _invalid(self, symbol: str, order_type: str, qty: int, price: int | None) -> str:
        inst = self.refdata.instruments.get(symbol)
        if inst is None:
            return "unknown symbol"
        if qty <= 0 or qty % inst.lot or qty > self.refdata.max_quantity:
            return f"quantity must be a positive multiple of the lot {inst.lot}, within limits"
        if price is None:
            return "limit price required" if order_type == LIMIT else ""
        if price <= 0 or price % inst.tick_minor or price > self.refdata.max_price_minor:
            return f"price must be a positive multiple of the tick {inst.tick_minor}"
        return ""

    def _execute(self, o: Order) -> None:
        """Match what crosses, then rest the remainder or expire it."""
        book = self.books[o.symbol]
        want = o.quantity - o.cum_qty
        if o.tif == FOK and book.available(o.side, o.price, want) < want:
            self._close(o, EXPIRED, "fill or kill: not enough liquidity")
            return
        for m, n, px in book.match(o.side, o.price, want):
            o.cum_qty += n
            o.status = FILLED if o.cum_qty == o.quantity else PARTIAL
            self._report("TRADE", o, last_qty=n, last_price=px)
            m.status = FILLED if m.cum_qty == m.quantity else PARTIAL
            if m.mm_level >= 0:
                if m.status == FILLED:
                    self.mm.taken(m.symbol, m.side, m.mm_level)
                continue
            if m.status == FILLED:
                del self.open[m.xid]
            self._report("TRADE", m, last_qty=n, last_price=px)
        if o.status == FILLED:
            self.open.pop(o.xid, None)
        elif o.order_type == MARKET or o.tif in (IOC, FOK):
            self._close(o, EXPIRED, "no more liquidity within the price" if o.cum_qty else
                        "no liquidity within the price")
        else:
            self.ticket += 1
            book.add(o, self.ticket)
            self.open[o.xid] = o

    def _close(self, o: Order, status: str, text: str, clid: str | None = None,
               orig: str | None = None) -> None:
        o.status = status
        self.open.pop(o.xid, None)
        self._report(status, o, clid, orig, text=text)

    def _end_of_day(self) -> int:
        day = [o for o in self.open.values() if o.tif == DAY]
        for o in day:
            self.books[o.symbol].remove(o)
            self._close(o, EXPIRED, "end of day")
        return len(day)

    def _post(self, symbol: str, q: Quote) -> None:
        side, level, price, qty = q
        self.next_mid += 1
        o = Order(f"M{self.next_mid}", f"mm{self.next_mid}", symbol, side, LIMIT, GTC, qty,
                  price, mm_level=level)
        self.ticket += 1
        self.books[symbol].add(o, self.ticket)

    def _report(self, kind: str, o: Order, clid: str | None = None, orig: str | None = None,
                last_qty: int = 0, last_price: int = 0, text: str = "") -> None:
        self.seq += 1
        self.reports.append(Report(self.seq, f"E{self.seq}", kind, clid or o.clid, orig, o.xid,
                                   o.symbol, o.side, last_qty, last_price, o.cum_qty, o.leaves,
                                   text))
        if len(self.reports) > 2 * self.max_reports:  # amortised O(1) trimming
            del self.reports[: len(self.reports) - self.max_reports]

    def _evict(self) -> None:
        for _ in range(len(self.done) - self.max_instructions):
            clid, entry = next(iter(self.done.items()))
            del self.done[clid]
            o = self.orders.get(clid)
            if o is not None and o.status in OPEN_STATUSES:
                self.done[clid] = entry  # a live order stays recognisable
            elif o is not None:
                del self.orders[clid]

    # ---- snapshots
    def to_state(self) -> dict[str, Any]:
        uniq: dict[str, Order] = {}
        for o in self.orders.values():
            uniq.setdefault(o.xid, o)
        for book in self.books.values():
            for side in (book.bids, book.asks):
                uniq.update((o.xid, o) for o in side.orders() if o.mm_level >= 0)
        return {
            "seed": self.seed, "reject_rate": self.reject_rate, "max_reports": self.max_reports,
            "max_instructions": self.max_instructions, "seq": self.seq,
            "next_xid": self.next_xid, "next_mid": self.next_mid, "ticket": self.ticket,
            "mm": self.mm.to_state(), "orders": [asdict(o) for o in uniq.values()],
            "order_ids": {clid: o.xid for clid, o in self.orders.items()},
            "open": list(self.open),
            "done": [[i.to_dict(), x, s] for i, x, s in self.done.values()],
            "reports": [list(r) for r in self.reports_after(0, self.max_reports)],
        }

    @classmethod
    def from_state(cls, refdata: RefData, st: dict[str, Any]) -> Engine:
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
