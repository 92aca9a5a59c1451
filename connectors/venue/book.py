"""Price-time priority order book for one symbol. Pure: no I/O, no clock, no randomness.

Each side keeps its price levels as a sorted list of keys (bisect) plus a dict key -> Level;
a level is a FIFO of (ticket, order). Removal is lazy: an entry is live only while the
order's `ticket` still equals the entry's, so cancel and "lose priority" are O(1) per level
and the stale entries are dropped when they reach the head (or compacted when they pile up).
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

BUY, SELL = "BUY", "SELL"
OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


@dataclass(slots=True, eq=False)
class Order:
    xid: str  # exchange order id; stays the same across replaces
    clid: str  # the live client order id
    symbol: str
    side: str
    order_type: str
    tif: str
    quantity: int  # total, fills included
    price: int | None  # limit price (or a market order's protection price)
    cum_qty: int = 0
    status: str = "NEW"
    mm_level: int = -1  # >= 0: a market-maker quote at that level
    ticket: int = 0  # time priority while resting; 0 when not in the book

    @property
    def leaves(self) -> int:
        return self.quantity - self.cum_qty if self.status in OPEN_STATUSES else 0


Fill = tuple[Order, int, int]  # (maker, qty, price)


class Level:
    __slots__ = ("queue", "live", "dead", "qty")

    def __init__(self) -> None:
        self.queue: deque[tuple[int, Order]] = deque()
        self.live = 0
        self.dead = 0
        self.qty = 0  # sum of live orders' leaves


class BookSide:
    def __init__(self, buy: bool) -> None:
        self.sign = -1 if buy else 1  # keys ascend from the best price
        self.keys: list[int] = []
        self.levels: dict[int, Level] = {}

    def best(self) -> int | None:
        return self.keys[0] * self.sign if self.keys else None

    def add(self, o: Order, ticket: int) -> None:
        assert o.price is not None
        key = o.price * self.sign
        lvl = self.levels.get(key)
        if lvl is None:
            lvl = self.levels[key] = Level()
            insort(self.keys, key)
        o.ticket = ticket
        lvl.queue.append((ticket, o))
        lvl.live += 1
        lvl.qty += o.quantity - o.cum_qty

    def remove(self, o: Order, leaves: int) -> None:
        assert o.price is not None
        key = o.price * self.sign
        lvl = self.levels[key]
        o.ticket = 0
        lvl.live -= 1
        lvl.qty -= leaves
        if lvl.live == 0:
            self._drop(key)
            return
        lvl.dead += 1
        if lvl.dead > 2 * lvl.live + 16:  # compact so cancel churn cannot grow a level
            lvl.queue = deque(e for e in lvl.queue if e[1].ticket == e[0])
            lvl.dead = 0

    def _drop(self, key: int) -> None:
        del self.levels[key]
        del self.keys[bisect_left(self.keys, key)]

    def crossing(self, limit: int | None) -> Iterator[tuple[int, Level]]:
        """Levels a taker with this limit (None: any price) may trade with, best first."""
        for key in self.keys:
            price = key * self.sign
            if limit is not None and price * self.sign > limit * self.sign:
                return
            yield price, self.levels[key]

    def available(self, limit: int | None, want: int) -> int:
        got = 0
        for _, lvl in self.crossing(limit):
            got += lvl.qty
            if got >= want:
                break
        return got

    def take(self, limit: int | None, want: int) -> list[Fill]:
        fills: list[Fill] = []
        while want and self.keys:
            key = self.keys[0]
            price = key * self.sign
            if limit is not None and key > limit * self.sign:
                break
            lvl = self.levels[key]
            q = lvl.queue
            while want and q:
                ticket, m = q[0]
                if m.ticket != ticket:
                    q.popleft()
                    lvl.dead -= 1
                    continue
                n = min(want, m.quantity - m.cum_qty)
                m.cum_qty += n
                lvl.qty -= n
                want -= n
                fills.append((m, n, price))
                if m.cum_qty == m.quantity:
                    q.popleft()
                    m.ticket = 0
                    lvl.live -= 1
            if lvl.live == 0:
                self._drop(key)
        return fills

    def orders(self) -> Iterator[Order]:
        for key in self.keys:
            for ticket, o in self.levels[key].queue:
                if o.ticket == ticket:
                    yield o


class Book:
    """Both sides of one symbol."""

    def __init__(self) -> None:
        self.bids = BookSide(buy=True)
        self.asks = BookSide(buy=False)

    def side(self, side: str) -> BookSide:
        return self.bids if side == BUY else self.asks

    def opposite(self, side: str) -> BookSide:
        return self.asks if side == BUY else self.bids

    def add(self, o: Order, ticket: int) -> None:
        self.side(o.side).add(o, ticket)

    def remove(self, o: Order) -> None:
        self.side(o.side).remove(o, o.quantity - o.cum_qty)

    def reduce(self, o: Order, by: int) -> None:
        """The order's leaves shrink in place (it keeps its queue position)."""
        assert o.price is not None
        side = self.side(o.side)
        side.levels[o.price * side.sign].qty -= by

    def match(self, side: str, limit: int | None, want: int) -> list[Fill]:
        """Take up to `want` from the other side at prices no worse than `limit`."""
        return self.opposite(side).take(limit, want)

    def available(self, side: str, limit: int | None, want: int) -> int:
        return self.opposite(side).available(limit, want)

    def depth(self) -> dict[str, list[tuple[int, int]]]:
        def levels(s: BookSide) -> list[tuple[int, int]]:
            return [(k * s.sign, s.levels[k].qty) for k in s.keys]

        return {"bids": levels(self.bids), "asks": levels(self.asks)}
