"""The /v1 write routes and their errors, without a broker: wrong field types are a 400 and
publish nothing; a write accepted whose result cannot be read answers 202 in the documented
Pending shape (never a body that is not a trade); a body that cannot be decoded is a 400
"bad_request"; each bare HTTP status has a code; the per-IP bucket answers 429."""

from __future__ import annotations

from typing import Any

import pytest

from api.errors import status_code
from api.models import Pending
from brokerage.domain.requests import trade_id_for
from tests.unit.api.v1_fakes import Bridge, Tables, app, client, state, trade

GOOD = {"trader_id": "alice", "side": "BUY", "symbol": "AAPL", "quantity": 1,
        "limit_price": "1.00"}
TID = trade_id_for("alice", "k1")


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/trades", {**GOOD, "quantity": "1"}, "quantity"),
    ("/v1/trades", {**GOOD, "quantity": True}, "quantity"),
    ("/v1/trades", {**GOOD, "quantity": 1.0}, "quantity"),
    ("/v1/trades", {**GOOD, "limit_price": True}, "limit_price"),
    (f"/v1/trades/{TID}", {"quantity": "2"}, "quantity"),
    (f"/v1/trades/{TID}", {"quantity": False}, "quantity"),
    ("/v1/traders/alice/deposits", {"shares": "10", "symbol": "AAPL"}, "shares"),
    ("/v1/traders/alice/withdrawals", {"shares": True, "symbol": "AAPL"}, "shares"),
])
def test_wrong_field_types_are_400_and_publish_nothing(path: str, body: dict[str, Any],
                                                       field: str) -> None:
    bridge = Bridge()
    http = client(app(Tables(state("alice")), bridge), admin=True)
    r = http.request("PATCH" if path.startswith("/v1/trades/") else "POST", path, json=body)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "bad_request"
    assert any(field in d["loc"] for d in err["details"]), err
    assert bridge.published == []


def test_documented_forms_are_accepted() -> None:
    """Counts as JSON integers; prices and amounts as decimal strings or numbers."""
    bridge = Bridge()
    booked = trade("alice", "k1", 1)
    http = client(app(Tables(state("alice", booked)), bridge), admin=True)
    for price in ("1.00", 1, 1.5):
        r = http.post("/v1/trades", json={**GOOD, "limit_price": price},
                      headers={"Idempotency-Key": "k1"})
        assert r.status_code == 201, r.text
    assert http.patch(f"/v1/trades/{TID}", json={"quantity": 3}).status_code == 200
    for body in ({"amount": "1.50"}, {"amount": 2}, {"shares": 10, "symbol": "AAPL"}):
        r = http.post("/v1/traders/alice/deposits", json=body)
        assert r.status_code == 201, r.text
    assert len(bridge.published) == 7


@pytest.mark.parametrize("down", [True, False])
def test_accepted_but_unreadable_is_a_202_with_the_status_url(down: bool) -> None:
    tables = Tables(state("alice"))  # up: read, but without the trade (not there yet)
    tables.down = down
    http = client(app(tables), admin=True)
    r = http.post("/v1/trades", json=GOOD, headers={"Idempotency-Key": "k1"})
    assert r.status_code == 202, r.text
    body = Pending.model_validate(r.json())
    assert (body.status, body.request_id, body.status_url) == (
        "ACCEPTED", "k1", f"/v1/trades/{TID}")
    assert r.headers["location"] == body.status_url
    tables.down = True
    r = http.post("/v1/traders/alice/deposits", json={"amount": "1.00"})
    assert r.status_code == 202, r.text
    assert r.json()["status_url"] == r.headers["location"] == "/v1/traders/alice/wallet"


def test_no_answer_in_time_is_a_202_pending() -> None:
    bridge = Bridge()
    bridge.silent = True
    r = client(app(Tables(), bridge)).post("/v1/trades", json=GOOD,
                                           headers={"Idempotency-Key": "k1"})
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "PENDING", "request_id": "k1",
                        "status_url": f"/v1/trades/{TID}"}
    assert r.headers["location"] == f"/v1/trades/{TID}"


@pytest.mark.parametrize("raw", [b'{"trader_id": "\xff"}', b"\xff\xfe{}"])
def test_an_undecodable_body_is_a_bad_request(raw: bytes) -> None:
    r = client(app(Tables())).post("/v1/trades", content=raw,
                                   headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "bad_request"


def test_every_bare_status_has_a_code() -> None:
    assert [status_code(s) for s in (400, 401, 403, 404, 405, 413, 429, 503)] == [
        "bad_request", "unauthorized", "forbidden", "not_found", "method_not_allowed",
        "payload_too_large", "rate_limited", "unavailable"]
    assert status_code(415) == "unsupported_media_type"
    assert status_code(502) == "bad_gateway"
    assert (status_code(499), status_code(599)) == ("client_error", "server_error")
    r = client(app(Tables())).put("/v1/trades")
    assert (r.status_code, r.json()["error"]["code"]) == (405, "method_not_allowed")
    assert r.headers["allow"] == "POST"


def test_the_per_ip_bucket_answers_429_with_retry_after() -> None:
    """Three requests from one address, each for another trader (so no trader's own bucket
    is the cause), one with a bad token (the IP bucket is charged before authentication)."""
    a = app(Tables(state("alice"), state("bob")), ip_burst=3)
    assert client(a, "alice").get("/v1/traders/alice/wallet").status_code == 200
    bad = client(a).get("/v1/traders/bob/wallet", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401
    assert client(a, "bob").get("/v1/traders/bob/wallet").status_code == 200
    r = client(a, "carol").get("/v1/traders/carol/wallet")
    assert r.status_code == 429, r.text
    assert r.json()["error"]["code"] == "rate_limited"
    assert "address" in r.json()["error"]["message"]
    assert int(r.headers["retry-after"]) >= 1


@pytest.mark.parametrize("route", ["deposits", "withdrawals"])
def test_money_moves_take_the_idempotency_key_as_their_request_id(route: str) -> None:
    """A retried deposit must be the same request to the worker (applied once), as a trade's."""
    bridge = Bridge()
    http = client(app(Tables(state("alice")), bridge), admin=True)
    url = f"/v1/traders/alice/{route}"
    assert http.post(url, json={"amount": "1.00"}, headers={"Idempotency-Key": "d-1"}
                     ).status_code == 201
    assert http.post(url, json={"amount": "1.00", "client_request_id": "d-2"},
                     headers={"Idempotency-Key": "d-3"}).status_code == 201  # header wins
    assert http.post(url, json={"amount": "1.00", "client_request_id": "d-4"}).status_code == 201
    assert [r.request_id for r in bridge.published] == ["d-1", "d-3", "d-4"]
    r = http.post(url, json={"amount": "1.00"}, headers={"Idempotency-Key": "has spaces"})
    assert r.status_code == 400 and len(bridge.published) == 3
