"""Scenario: traders and an operator use nothing but the HTTP API of a running stack (real
broker, worker, exchange and API): the operator funds accounts with an admin token, traders
buy, amend, get partly filled and cancel with their own (non-admin) tokens, list and page
through their trades, read holdings with ETags, retry a POST, and send every kind of wrong
request. We expect exact states and histories, retries that book and block once, and every
failure as the documented status with one error shape {"error": {"code", "message",
"details"}}: 400, 401, 403, 404, 409, 413, 422 and 429 (with Retry-After, counted in
/metrics). The probes answer without a token, every /v1 route refuses a request without one,
and /openapi.json lists every route."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import httpx
import jwt
import pytest
from fastapi.routing import APIRoute

from api import auth
from api.app import create_app
from brokerage.entrypoints.tokens import bearer
from tests.integration.conftest import Stack, fresh_name, serving, stack_settings, trader
from tests.integration.helpers import until, wait_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("api")
    with serving(stack_settings(kafka_bootstrap, root / "state", fresh_name), root / "logs") as s:
        yield s


@pytest.fixture(scope="module")
def limited(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose API allows each trader 3 requests at once, then one a second."""
    root = tmp_path_factory.mktemp("limited")
    settings = stack_settings(kafka_bootstrap, root / "state", fresh_name).model_copy(
        update={"rate_trader_per_second": 1.0, "rate_trader_burst": 3})
    with serving(settings, root / "logs") as s:
        yield s


# ---- helpers --------------------------------------------------------------------------


@contextmanager
def as_trader(s: Stack, trader_id: str) -> Iterator[httpx.Client]:
    """A client carrying a trader's own token (scope "trade", not admin)."""
    with httpx.Client(base_url=s.url, timeout=30, headers=bearer(s.settings, trader_id)) as c:
        yield c


def error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """Assert the status and the one error shape; return the error object."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert list(body) == ["error"], body
    err: dict[str, Any] = body["error"]
    assert set(err) == {"code", "message", "details"}, body
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    if code is not None:
        assert err["code"] == code, body
    return err


def get_trade(c: httpx.Client, tid: str) -> dict[str, Any]:
    r = c.get(f"/v1/trades/{tid}")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def wait_trade(c: httpx.Client, tid: str, status: str, **fields: Any) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        t = get_trade(c, tid)
        ok = t["status"] == status and all(t[k] == v for k, v in fields.items())
        return t if ok else None

    found: dict[str, Any] = until(check, f"{tid} to be {status} with {fields}")
    return found


def order(c: httpx.Client, trader_id: str, side: str, symbol: str, qty: int, price: str,
          key: str | None = None, **extra: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return c.post("/v1/trades", headers=headers, json={
        "trader_id": trader_id, "side": side, "symbol": symbol, "quantity": qty,
        "limit_price": price, **extra})


def placed(r: httpx.Response) -> str:
    assert r.status_code == 201, r.text
    tid: str = r.json()["trade_id"]
    return tid


def listing(c: httpx.Client, trader_id: str, **params: Any) -> list[dict[str, Any]]:
    r = c.get(f"/v1/traders/{trader_id}/trades", params=params)
    assert r.status_code == 200, r.text
    trades: list[dict[str, Any]] = r.json()["trades"]
    return trades


def funded(s: Stack, cash: str = "100000.00", shares: int = 0, symbol: str = "NEWCO") -> str:
    t = trader()
    assert s.deposit(t, amount=cash).status_code == 201
    if shares:
        assert s.deposit(t, shares=shares, symbol=symbol).status_code == 201
    return t


# ---- the lifecycle ----------------------------------------------------------------------


def test_lifecycle_listing_holdings_and_etags_over_http_only(api: Stack) -> None:
    s = api
    buyer, seller = funded(s), funded(s, cash="1000.00", shares=300)
    with as_trader(s, buyer) as b, as_trader(s, seller) as x:
        # Buy NEWCO (no market maker: nothing fills until our seller sells).
        r = order(b, buyer, "BUY", "NEWCO", 200, "10.00", key="life-buy")
        tid = placed(r)
        assert r.headers["location"] == f"/v1/trades/{tid}"
        assert r.json()["status"] in {"PENDING_NEW", "NEW"}
        t = wait_trade(b, tid, "NEW")
        assert (t["quantity"], t["limit_price"], t["blocked_cash"]) == (200, "10.00", "2001.00")

        # ETag, then If-None-Match: 304 with no body while nothing changed.
        first = b.get(f"/v1/trades/{tid}")
        etag = first.headers["etag"]
        again = b.get(f"/v1/trades/{tid}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag

        # Amend up: more cash blocked; the ETag changes with the trade.
        r = b.patch(f"/v1/trades/{tid}", json={"quantity": 400})
        assert r.status_code == 200, r.text
        t = wait_trade(b, tid, "NEW", quantity=400)
        assert t["blocked_cash"] == "4002.00"
        changed = b.get(f"/v1/trades/{tid}", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert changed.json()["quantity"] == 400

        # The seller's order fills a quarter of it.
        sold = placed(order(x, seller, "SELL", "NEWCO", 100, "10.00"))
        t = wait_trade(b, tid, "PARTIALLY_FILLED")
        assert t["filled_quantity"] == 100 and t["average_price"] == "10.00"
        assert [(f["quantity"], f["price"], f["fee"]) for f in t["fills"]] == [
            (100, "10.00", "1.00")]
        assert t["fees"] == "1.00"
        assert wait_trade(x, sold, "FILLED")["filled_quantity"] == 100

        # Cancel the rest.
        r = b.delete(f"/v1/trades/{tid}")
        assert r.status_code == 200, r.text
        t = wait_trade(b, tid, "CANCELED")
        assert (t["filled_quantity"], t["blocked_cash"], t["blocked_shares"]) == (100, "0.00", 0)
        error(b.patch(f"/v1/trades/{tid}", json={"quantity": 500}), 422, "TRADE_NOT_OPEN")

        # The history tells the whole story, in order, with what caused each step.
        steps = [c["status"] for c in t["history"]]
        assert steps[0] == "PENDING_NEW" and steps[-1] == "CANCELED", steps
        for status in ("NEW", "PENDING_REPLACE", "PARTIALLY_FILLED", "PENDING_CANCEL"):
            assert status in steps, steps
        assert steps.index("PENDING_REPLACE") < steps.index("PARTIALLY_FILLED") < steps.index(
            "PENDING_CANCEL"), steps
        assert t["history"][0]["cause"] == "life-buy"
        assert any(c["cause"].startswith("exec:") for c in t["history"])
        times = [c["at_ms"] for c in t["history"]]
        assert times == sorted(times) and t["created_ms"] <= times[0] <= t["updated_ms"]

        w = b.get(f"/v1/traders/{buyer}/wallet").json()
        assert w["cash"] == {"available": "98999.00", "blocked": "0.00"}
        assert w["holdings"] == {"NEWCO": {"available": 100, "blocked": 0}}

        # More trades to list: one AAPL buy that fills at the market maker, three that rest.
        filled = placed(order(b, buyer, "BUY", "AAPL", 1, "195.00"))
        wait_trade(b, filled, "FILLED")
        resting = [placed(order(b, buyer, "BUY", "AAPL", 1, "100.00")) for _ in range(3)]
        for r_id in resting:
            wait_trade(b, r_id, "NEW")

        everything = listing(b, buyer)
        ids = [t["trade_id"] for t in everything]
        assert ids == [*reversed(resting), filled, tid]  # newest first
        assert len(set(ids)) == 5
        assert [t["trade_id"] for t in listing(b, buyer, status="CANCELED")] == [tid]
        assert [t["trade_id"] for t in listing(b, buyer, symbol="NEWCO")] == [tid]
        assert [t["trade_id"] for t in listing(b, buyer, status="FILLED", symbol="AAPL")] == [
            filled]
        assert [t["trade_id"] for t in listing(b, buyer, status="NEW", symbol="AAPL")] == list(
            reversed(resting))
        assert listing(b, buyer, symbol="MSFT") == []
        since = everything[3]["created_ms"]  # the filled AAPL buy
        assert [t["trade_id"] for t in listing(b, buyer, since_ms=since)] == [
            t["trade_id"] for t in everything if t["created_ms"] >= since]
        assert filled in [t["trade_id"] for t in listing(b, buyer, since_ms=since)]
        assert tid not in [t["trade_id"] for t in listing(b, buyer, since_ms=since)]
        assert [t["trade_id"] for t in listing(b, buyer, until_ms=since)] == [
            t["trade_id"] for t in everything if t["created_ms"] < since]

        # Cursor pagination: 5 trades, 2 a page, 3 pages, each trade once, in order.
        pages, cursor = [], None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            r = b.get(f"/v1/traders/{buyer}/trades", params=params)
            assert r.status_code == 200, r.text
            pages.append([t["trade_id"] for t in r.json()["trades"]])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
            assert len(pages) < 10
        assert pages == [ids[0:2], ids[2:4], ids[4:5]]
        # ... and with a filter: the three resting AAPL buys, one a page.
        r1 = b.get(f"/v1/traders/{buyer}/trades",
                   params={"status": "NEW", "limit": 1}).json()
        r2 = b.get(f"/v1/traders/{buyer}/trades",
                   params={"status": "NEW", "limit": 1, "cursor": r1["next_cursor"]}).json()
        assert [t["trade_id"] for t in r1["trades"] + r2["trades"]] == list(
            reversed(resting))[:2]
        assert r2["next_cursor"] is not None

        # Holdings, with ETags.
        r = b.get(f"/v1/traders/{buyer}/holdings")
        assert r.status_code == 200, r.text
        assert r.json() == {"trader_id": buyer, "holdings": {
            "NEWCO": {"available": 100, "blocked": 0}, "AAPL": {"available": 1, "blocked": 0}}}
        h_etag = r.headers["etag"]
        assert b.get(f"/v1/traders/{buyer}/holdings",
                     headers={"If-None-Match": h_etag}).status_code == 304

        # The listing's ETag changes when a trade in it does.
        l_etag = b.get(f"/v1/traders/{buyer}/trades").headers["etag"]
        assert b.get(f"/v1/traders/{buyer}/trades",
                     headers={"If-None-Match": l_etag}).status_code == 304
        assert b.delete(f"/v1/trades/{resting[0]}").status_code == 200
        wait_trade(b, resting[0], "CANCELED")
        r = b.get(f"/v1/traders/{buyer}/trades", headers={"If-None-Match": l_etag})
        assert r.status_code == 200 and r.headers["etag"] != l_etag
        # Selling shares blocks them: holdings change, and so does their ETag.
        placed(order(b, buyer, "SELL", "NEWCO", 100, "50.00"))

        def holdings_changed() -> httpx.Response | None:
            r = b.get(f"/v1/traders/{buyer}/holdings", headers={"If-None-Match": h_etag})
            return r if r.status_code == 200 else None

        r = until(holdings_changed, "holdings to change")
        assert r.headers["etag"] != h_etag
        assert r.json()["holdings"]["NEWCO"] == {"available": 0, "blocked": 100}


def test_a_retried_post_books_and_blocks_once(api: Stack) -> None:
    s = api
    t = funded(s, cash="10000.00")
    with as_trader(s, t) as c:
        body = {"trader_id": t, "side": "BUY", "symbol": "AAPL", "quantity": 10,
                "limit_price": "100.00"}
        first = c.post("/v1/trades", json=body, headers={"Idempotency-Key": "retry-1"})
        assert first.status_code == 201, first.text
        tid = first.json()["trade_id"]
        wait_trade(c, tid, "NEW")
        retry = c.post("/v1/trades", json=body, headers={"Idempotency-Key": "retry-1"})
        assert retry.status_code == first.status_code, retry.text
        assert retry.json()["trade_id"] == tid
        assert retry.headers["location"] == first.headers["location"]

        # 10 x 100.00 plus the 1.00 minimum fee, blocked once.
        w = c.get(f"/v1/traders/{t}/wallet").json()
        assert w["cash"] == {"available": "8999.00", "blocked": "1001.00"}
        assert [x["trade_id"] for x in listing(c, t)] == [tid]

        # The same key with another body is a conflict, and changes nothing.
        err = error(c.post("/v1/trades", json={**body, "quantity": 11},
                           headers={"Idempotency-Key": "retry-1"}), 409, "DUPLICATE_REQUEST")
        assert err["details"]["reason"] == "DUPLICATE_REQUEST"
        assert err["details"]["request_id"] == "retry-1"
        assert c.get(f"/v1/traders/{t}/wallet").json()["cash"] == w["cash"]
        assert get_trade(c, tid)["quantity"] == 10
        # A key is also accepted in the body (client_request_id), and the header wins.
        r = c.post("/v1/trades", json={**body, "client_request_id": "retry-1"})
        assert r.status_code == 201 and r.json()["trade_id"] == tid


# ---- errors -----------------------------------------------------------------------------


def test_authentication_and_authorisation(api: Stack) -> None:
    s = api
    a, b = funded(s, cash="5000.00"), funded(s, cash="5000.00")
    with as_trader(s, b) as cb:
        b_trade = placed(order(cb, b, "BUY", "AAPL", 1, "100.00"))
    wait_status(s, b_trade, "NEW")  # acknowledged by the exchange before A tries anything
    secret = s.settings.auth_secret.get_secret_value()
    wallet_url = f"/v1/traders/{a}/wallet"

    # 401: no token, not a bearer token, garbage, wrong key, expired, no subject.
    with httpx.Client(base_url=s.url, timeout=30) as anon:
        assert error(anon.get(wallet_url), 401, "unauthorized")
        bad = {
            "basic": "Basic dXNlcjpwYXNz",
            "garbage": "Bearer not-a-jwt",
            "wrong key": "Bearer " + auth.issue("another-secret-0123456789abcdef-xyz", a,
                                                {"trade"}, 3600),
            "expired": "Bearer " + auth.issue(secret, a, {"trade"}, -60),
            "no subject": "Bearer " + jwt.encode({"exp": int(time.time()) + 60}, secret,
                                                 algorithm="HS256"),
        }
        for what, header in bad.items():
            r = anon.get(wallet_url, headers={"Authorization": header})
            err = error(r, 401, "unauthorized")
            assert what != "expired" or "expired" in err["message"].lower(), err
        # The same good token works: the 401s were about the tokens.
        assert anon.get(wallet_url, headers=bearer(s.settings, a)).status_code == 200

    # 403: trader A's token on B's trade, wallet, holdings and listing; trading for B;
    # deposits and withdrawals need the admin scope even for one's own account.
    with as_trader(s, a) as ca:
        for r in (
            ca.get(f"/v1/trades/{b_trade}"),
            ca.patch(f"/v1/trades/{b_trade}", json={"quantity": 2}),
            ca.delete(f"/v1/trades/{b_trade}"),
            ca.get(f"/v1/traders/{b}/wallet"),
            ca.get(f"/v1/traders/{b}/holdings"),
            ca.get(f"/v1/traders/{b}/trades"),
            order(ca, b, "BUY", "AAPL", 1, "100.00"),
            ca.post(f"/v1/traders/{a}/deposits", json={"amount": "1.00"}),
            ca.post(f"/v1/traders/{a}/withdrawals", json={"amount": "1.00"}),
            ca.post(f"/v1/traders/{b}/deposits", json={"amount": "1.00"}),
        ):
            error(r, 403, "forbidden")
        assert ca.get(wallet_url).json()["cash"]["available"] == "5000.00"
    with as_trader(s, b) as cb:
        t = get_trade(cb, b_trade)  # B's trade is untouched by A's attempts
        assert (t["status"], t["quantity"]) == ("NEW", 1)


def test_request_errors_have_one_shape(api: Stack) -> None:
    s = api
    t = funded(s, cash="1000.00")
    limit = s.settings.api_max_body_bytes
    with as_trader(s, t) as c:
        # 404: unknown trade (own trader id), unknown trader, unknown route.
        error(c.get(f"/v1/trades/{t}.0000000000000000"), 404, "not_found")
        error(s.http.get("/v1/trades/nobody.0000000000000000"), 404, "not_found")
        for what in ("wallet", "holdings", "trades"):
            error(s.http.get(f"/v1/traders/nobody-{uuid.uuid4().hex[:6]}/{what}"), 404,
                  "not_found")
        error(c.get("/v1/nothing-here"), 404, "not_found")
        error(c.put("/v1/trades"), 405, "method_not_allowed")

        # 422: business rejects carry the reason as their code.
        err = error(order(c, t, "BUY", "MSFT", 3, "410.00"), 422, "INSUFFICIENT_FUNDS")
        assert err["details"]["reason"] == "INSUFFICIENT_FUNDS"
        error(order(c, t, "SELL", "GOOG", 1, "170.00"), 422, "INSUFFICIENT_SHARES")
        error(order(c, t, "BUY", "ZZZZ", 1, "1.00"), 422, "UNKNOWN_SYMBOL")
        error(order(c, t, "BUY", "AAPL", 1, "1.001"), 422, "INVALID_PRICE")
        error(c.delete(f"/v1/trades/{t}.0000000000000000"), 422, "UNKNOWN_TRADE")
        assert c.get(f"/v1/traders/{t}/wallet").json()["cash"] == {
            "available": "1000.00", "blocked": "0.00"}

        # 400: malformed JSON, wrong types, unknown or missing fields, bad query and headers.
        good = {"trader_id": t, "side": "BUY", "symbol": "AAPL", "quantity": 1,
                "limit_price": "1.00"}
        bad_bodies: list[Any] = [
            {**good, "quantity": "ten"},
            {**good, "quantity": 1.5},
            {**good, "quantity": "1"},
            {**good, "quantity": True},
            {**good, "side": "HOLD"},
            {**good, "limit_price": "cheap"},
            {**good, "limit_price": -1},
            {**good, "unexpected": True},
            {k: v for k, v in good.items() if k != "symbol"},
            [good],
            "just a string",
        ]
        for bad in bad_bodies:
            err = error(c.post("/v1/trades", json=bad), 400, "bad_request")
            assert isinstance(err["details"], list) and err["details"], err
        err = error(c.post("/v1/trades", json={**good, "unexpected": True}), 400)
        assert any("unexpected" in d["loc"] for d in err["details"]), err
        for raw in (b'{"trader_id": ', b"not json", b"{}}", b'{"trader_id": "\xff"}'):
            error(c.post("/v1/trades", content=raw,
                         headers={"content-type": "application/json"}), 400, "bad_request")
        error(c.patch(f"/v1/trades/{t}.0000000000000000", json={"quantity": -1}), 400)
        error(c.patch(f"/v1/trades/{t}.0000000000000000", json={"quantity": "2"}), 400)
        error(s.http.post(f"/v1/traders/{t}/deposits", json={"shares": "1", "symbol": "AAPL"}),
              400, "bad_request")
        error(s.http.post(f"/v1/traders/{t}/deposits", json={"amount": "1.00", "shares": 1}),
              400, "bad_request")
        error(c.get(f"/v1/traders/{t}/trades", params={"limit": 0}), 400, "bad_request")
        error(c.get(f"/v1/traders/{t}/trades", params={"status": "SLEEPING"}), 400)
        error(c.get(f"/v1/traders/{t}/trades", params={"since_ms": "yesterday"}), 400)
        error(c.get(f"/v1/traders/{t}/trades", params={"cursor": "abc"}), 400, "bad_request")
        error(c.post("/v1/trades", json=good, headers={"Idempotency-Key": "has spaces"}), 400)
        # Ids the workers could never answer for are refused at once (not a 202 after a wait).
        started = time.monotonic()
        for bad_id in ("not-a-trade", f"{t}.XYZ", ".0000000000000000", "t\u00e9.0000000000000000",
                       "x" * 60 + ".0000000000000000"):
            error(s.http.get(f"/v1/trades/{bad_id}"), 400, "bad_request")
            error(s.http.patch(f"/v1/trades/{bad_id}", json={"quantity": 1}), 400, "bad_request")
            error(s.http.delete(f"/v1/trades/{bad_id}"), 400, "bad_request")
        for bad_id in ("caf\u00e9", "a b", "x" * 65):
            error(s.http.get(f"/v1/traders/{bad_id}/wallet"), 400, "bad_request")
            error(s.http.post(f"/v1/traders/{bad_id}/deposits", json={"amount": "1.00"}), 400)
        assert time.monotonic() - started < s.settings.api_response_timeout_seconds

        # 413: over api_max_body_bytes, with Content-Length, and chunked (no length given).
        big = {**good, "client_request_id": "x", "pad": "y" * (limit + 10)}
        error(c.post("/v1/trades", json=big), 413, "payload_too_large")

        def chunks() -> Iterator[bytes]:
            yield b'{"trader_id": "' + t.encode() + b'", "pad": "'
            for _ in range(limit // 1000 + 2):
                yield b"y" * 1000
            yield b'"}'

        r = c.post("/v1/trades", content=chunks(), headers={"content-type": "application/json"})
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in r.request.headers
        error(r, 413, "payload_too_large")
        # The limit is on the body, not on whether it is chunked: a small chunked body is fine.
        small = iter([b'{"amount": ', b'"1.00"}'])
        r = s.http.post(f"/v1/traders/{t}/deposits", content=small,
                        headers={"content-type": "application/json"})
        assert r.status_code == 201, r.text
        assert c.get(f"/v1/traders/{t}/wallet").json()["cash"]["available"] == "1001.00"


def test_probes_openapi_and_tokens_everywhere(api: Stack) -> None:
    s = api
    with httpx.Client(base_url=s.url, timeout=30) as anon:
        r = anon.get("/healthz")
        assert r.status_code == 200 and r.json() == {"status": "ok"}
        for _ in range(3):  # and promptly, every time (its broker check once hung)
            started = time.monotonic()
            r = anon.get("/readyz")
            assert r.status_code == 200, r.text
            assert r.json() == {"ready": True, "broker": True, "workers": True,
                                "workers_ready": 1, "workers_total": 1}
            assert time.monotonic() - started < 5
        r = anon.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert "brokerage_api_rate_limited_total" in r.text

        r = anon.get("/openapi.json")
        assert r.status_code == 200, r.text
        spec = r.json()
        documented = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
        app = create_app(s.settings, "unused:9092")  # nothing connects before start-up
        served = set(_served(app.routes))
        assert documented == served
        assert documented >= {
            ("POST", "/v1/trades"), ("PATCH", "/v1/trades/{trade_id}"),
            ("DELETE", "/v1/trades/{trade_id}"), ("GET", "/v1/trades/{trade_id}"),
            ("GET", "/v1/traders/{trader_id}/trades"), ("GET", "/v1/traders/{trader_id}/wallet"),
            ("GET", "/v1/traders/{trader_id}/holdings"),
            ("POST", "/v1/traders/{trader_id}/deposits"),
            ("POST", "/v1/traders/{trader_id}/withdrawals"),
            ("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}

        # Every /v1 route refuses a request without a token, whatever its body.
        v1 = sorted((m, p) for m, p in documented if p.startswith("/v1/"))
        assert len(v1) == 9
        for method, path in v1:
            url = path.replace("{trader_id}", "t-nobody").replace(
                "{trade_id}", "t-nobody.0000000000000000")
            for body in (None, {"amount": "1.00"}):
                error(anon.request(method, url, json=body), 401, "unauthorized")
            documented_statuses = spec["paths"][path][method.lower()]["responses"]
            assert "401" in documented_statuses
            assert spec["paths"][path][method.lower()]["security"] == [{"HTTPBearer": []}]


def _served(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every API route, descending into included routers (which FastAPI
    0.16x keeps as nested objects in app.routes)."""
    for route in routes:
        if isinstance(route, APIRoute):
            if route.include_in_schema:
                yield from ((m, prefix + route.path) for m in route.methods or ())
        elif hasattr(route, "original_router"):
            yield from _served(route.original_router.routes,
                               prefix + route.include_context.prefix)


# ---- rate limits ------------------------------------------------------------------------


def _limited_total(text: str, scope: str) -> float:
    m = re.search(rf'^brokerage_api_rate_limited_total{{scope="{scope}"}} (\S+)$', text, re.M)
    return float(m.group(1)) if m else 0.0


def test_rate_limits_answer_429_with_retry_after_and_are_counted(limited: Stack) -> None:
    s = limited
    t, other = trader(), trader()
    before = _limited_total(httpx.get(f"{s.url}/metrics").text, "trader")
    with as_trader(s, t) as c, as_trader(s, other) as o:
        answers = [c.get(f"/v1/traders/{t}/wallet") for _ in range(6)]
        statuses = [r.status_code for r in answers]
        assert statuses[:3] == [404, 404, 404], statuses  # the burst: unknown trader, 404
        assert 429 in statuses[3:], statuses
        limited_answers = [r for r in answers if r.status_code == 429]
        for r in limited_answers:
            error(r, 429, "rate_limited")
            assert int(r.headers["retry-after"]) >= 1
        # Per trader: another trader is not limited by the first one's requests.
        assert o.get(f"/v1/traders/{other}/wallet").status_code == 404
        # The refusals are counted in the API's metrics.
        text = httpx.get(f"{s.url}/metrics").text
        assert _limited_total(text, "trader") >= before + len(limited_answers)
        # After Retry-After seconds, a request goes through again.
        time.sleep(int(limited_answers[-1].headers["retry-after"]))
        assert c.get(f"/v1/traders/{t}/wallet").status_code == 404
    # Writes are limited the same way, and a refused one publishes nothing.
    assert s.deposit(t, amount="100.00").status_code == 201  # the admin has its own bucket
    time.sleep(3)  # t's bucket refills
    with as_trader(s, t) as c:
        body = {"trader_id": t, "side": "BUY", "symbol": "AAPL", "quantity": 1,
                "limit_price": "1.00"}
        codes = [c.post("/v1/trades", json=body).status_code for _ in range(6)]
        assert 429 in codes and 201 in codes, codes
    w = httpx.get(f"{s.url}/v1/traders/{t}/wallet", headers=s.admin).json()
    assert Decimal(w["cash"]["blocked"]) == Decimal("2.00") * codes.count(201)
