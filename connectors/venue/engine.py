"""The exchange's whole state and the rules that change it. Pure and deterministic.

`apply(instr)` is a function of the state and the instruction only: the reject knob draws
from hash(seed, instruction id), never from a shared random stream, so replaying the
journal through a fresh engine rebuilds exactly the same books, counters and reports.

Bounds: the last `max_reports` reports are served (older ones are gone from memory and
from snapshots); the last `max_instructions` instruction ids are remembered for
idempotency, plus the ids of every order still open.

Instruction kinds: handlers.py; matching and the report log: matching.py; snapshots: state.py.
"""

from __future__ import annotations

from typing import Any

from brokerage.domain.refdata import RefData

from . import handlers, state
from .book import OPEN_STATUSES, Book, Order
from .handlers import unit
from .market_maker import MarketMaker, MarketMakerConfig
from .matching import CANCELED, EXPIRED, FILLED, PARTIAL, REJECTED, post, requote
from .protocol import (
    CANCEL,
    CONFIG,
    DAY,
    EOD,
    LIMIT,
    NEW,
    REPLACE,
    Answer,
    Instr,
    Report,
    order_view,
)

__all__ = ["CANCELED", "EXPIRED", "FILLED", "PARTIAL", "REJECTED", "Engine", "unit"]


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
                post(self, sym, q)

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
            return 200, {"expired": handlers.end_of_day(self)}
        if i.op == CONFIG:
            self.reject_rate = float(i.reject_rate or 0.0)
            return 200, {"reject_rate": self.reject_rate}
        if i.op == NEW:
            o, status = handlers.new(self, i)
        elif i.op == CANCEL:
            o, status = handlers.cancel(self, i)
        elif i.op == REPLACE:
            o, status = handlers.replace(self, i)
        else:
            raise ValueError(f"unknown instruction {i.op!r}")
        self.done[i.id] = (i, o.xid, status)
        self._evict()
        if o.symbol in self.books:
            for q in self.mm.refill(o.symbol):
                requote(self, o.symbol, q)
        return 200, self._answer(i, o.xid, status, False)

    def _answer(self, i: Instr, xid: str, status: str, dup: bool) -> dict[str, Any]:
        a = {"client_order_id": i.id, "exchange_order_id": xid, "status": status,
             "duplicate": dup}
        if i.op != NEW:
            a["orig_client_order_id"] = i.orig
        return a

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
        return state.to_state(self)

    @classmethod
    def from_state(cls, refdata: RefData, st: dict[str, Any]) -> Engine:
        return state.from_state(cls, refdata, st)
