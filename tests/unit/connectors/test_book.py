"""The order book alone: price-time priority, lazy removal, depth."""

from __future__ import annotations

from connectors.venue.book import BUY, SELL, Book, Order

_n = 0


def order(side: str, qty: int, price: int) -> Order:
    global _n
    _n += 1
    return Order(f"X{_n}", f"c{_n}", "AAPL", side, "LIMIT", "DAY", qty, price)


def rest(book: Book, *orders: Order) -> None:
    for i, o in enumerate(orders):
        book.add(o, ticket=_n * 100 + i + 1)


def test_best_price_then_time() -> None:
    book = Book()
    a, b, c = order(SELL, 10, 101), order(SELL, 10, 100), order(SELL, 10, 100)
    rest(book, a, b, c)
    fills = book.match(BUY, 101, 25)
    assert [(m.clid, q, px) for m, q, px in fills] == [
        (b.clid, 10, 100), (c.clid, 10, 100), (a.clid, 5, 101)]
    assert book.depth() == {"bids": [], "asks": [(101, 5)]}


def test_limit_stops_the_sweep_and_bids_sort_descending() -> None:
    book = Book()
    rest(book, order(BUY, 5, 99), order(BUY, 5, 100), order(BUY, 5, 98))
    assert book.bids.best() == 100
    fills = book.match(SELL, 99, 100)
    assert [(q, px) for _, q, px in fills] == [(5, 100), (5, 99)]
    assert book.depth()["bids"] == [(98, 5)]


def test_market_takes_any_price_and_available_counts() -> None:
    book = Book()
    rest(book, order(SELL, 3, 100), order(SELL, 4, 105))
    assert book.available(BUY, 100, 10) == 3
    assert book.available(BUY, None, 10) == 7
    assert sum(q for _, q, _ in book.match(BUY, None, 10)) == 7
    assert book.asks.best() is None


def test_removed_orders_are_skipped_and_levels_dropped() -> None:
    book = Book()
    a, b = order(SELL, 10, 100), order(SELL, 10, 100)
    rest(book, a, b)
    book.remove(a)
    assert book.depth()["asks"] == [(100, 10)]
    assert [m.clid for m, _, _ in book.match(BUY, 100, 10)] == [b.clid]
    assert book.asks.keys == [] and book.asks.levels == {}


def test_cancel_churn_does_not_grow_a_level() -> None:
    book = Book()
    anchor = order(SELL, 1, 100)
    rest(book, anchor)
    for _ in range(1000):
        o = order(SELL, 1, 100)
        rest(book, o)
        book.remove(o)
    assert len(book.asks.levels[100].queue) < 50
    assert list(book.asks.orders()) == [anchor]


def test_reduce_keeps_place_and_level_qty() -> None:
    book = Book()
    a, b = order(SELL, 10, 100), order(SELL, 10, 100)
    rest(book, a, b)
    a.quantity = 4
    book.reduce(a, 6)
    assert book.depth()["asks"] == [(100, 14)]
    assert [(m.clid, q) for m, q, _ in book.match(BUY, 100, 5)] == [(a.clid, 4), (b.clid, 1)]
