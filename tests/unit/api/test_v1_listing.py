"""GET /v1/traders/{id}/trades pages newest first (created_ms, then trade id, both descending)
whatever order the table holds them in, and its cursor is a position, not a trade: a page's
last trade that leaves the filtered list (its status changed, or it was evicted) loses none
of the trades after it."""

from __future__ import annotations

import base64
import random
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.v1_fakes import Tables, app, client, state, trade

# Five trades, two of them booked in the same millisecond.
TRADES = [trade("alice", f"k{i}", ms) for i, ms in enumerate([10, 20, 30, 30, 40])]
NEWEST_FIRST = sorted(TRADES, key=lambda t: (t["created_ms"], t["trade_id"]), reverse=True)


def ids(trades: list[dict[str, Any]]) -> list[str]:
    return [t["trade_id"] for t in trades]


def pages(http: TestClient, **params: Any) -> list[list[str]]:
    out, cursor = [], None
    while len(out) < 20:
        r = http.get("/v1/traders/alice/trades",
                     params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        out.append(ids(r.json()["trades"]))
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out
    raise AssertionError(f"no last page: {out}")


def test_newest_first_with_ties_by_trade_id_whatever_the_table_order() -> None:
    shuffled = TRADES.copy()
    random.Random(7).shuffle(shuffled)
    http = client(app(Tables(state("alice", *shuffled))))
    assert ids(http.get("/v1/traders/alice/trades").json()["trades"]) == ids(NEWEST_FIRST)
    for limit in (1, 2, 3):
        got = pages(http, limit=limit)
        assert [i for p in got for i in p] == ids(NEWEST_FIRST)
        assert all(0 < len(p) <= limit for p in got)


def test_a_status_change_between_pages_loses_nothing() -> None:
    tables = Tables(state("alice", *[dict(t) for t in TRADES]))
    http = client(app(tables))
    first = http.get("/v1/traders/alice/trades", params={"status": "NEW", "limit": 2}).json()
    assert ids(first["trades"]) == ids(NEWEST_FIRST[:2])
    # The page's last trade fills before the next page is asked for.
    last = first["trades"][-1]["trade_id"]
    next(t for t in tables.states["alice"]["trades"] if t["trade_id"] == last)[
        "status"] = "FILLED"
    second = http.get("/v1/traders/alice/trades", params={
        "status": "NEW", "limit": 2, "cursor": first["next_cursor"]}).json()
    assert ids(second["trades"]) == ids(NEWEST_FIRST[2:4])
    third = http.get("/v1/traders/alice/trades", params={
        "status": "NEW", "limit": 2, "cursor": second["next_cursor"]}).json()
    assert ids(third["trades"]) == ids(NEWEST_FIRST[4:]) and third["next_cursor"] is None


def test_an_evicted_trade_at_the_cursor_loses_nothing() -> None:
    tables = Tables(state("alice", *TRADES))
    http = client(app(tables))
    first = http.get("/v1/traders/alice/trades", params={"limit": 1}).json()
    gone = first["trades"][0]["trade_id"]
    tables.states["alice"]["trades"] = [t for t in TRADES if t["trade_id"] != gone]
    rest = http.get("/v1/traders/alice/trades", params={"cursor": first["next_cursor"]})
    assert ids(rest.json()["trades"]) == ids(NEWEST_FIRST[1:])


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("cursor", ["abc", "!!!", b64("alice.0123456789abcdef"),
                                    b64("x:alice.0123456789abcdef"), b64("10:not a trade"),
                                    b64("-1:alice.0123456789abcdef"),
                                    base64.urlsafe_b64encode(b"\xff\xfe").decode()])
def test_an_invalid_cursor_is_a_400(cursor: str) -> None:
    r = client(app(Tables(state("alice", *TRADES)))).get(
        "/v1/traders/alice/trades", params={"cursor": cursor})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "bad_request"
