"""Scenario: an API that gives the workers almost no time to answer (its response timeout is
1 ms, so no request is answered in time), on a real stack (broker, worker, exchange): an
operator deposits, a trader buys, retries the same POST, amends and cancels. We expect every
write to answer 202 in the documented Pending shape ({"status", "request_id", "status_url"}
with the status URL also in Location), each status URL to serve the outcome once the worker
has handled the request (the deposit in the wallet, the trade booked once under the id its
Idempotency-Key gives, then amended, then canceled), and reads to be unaffected."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.models import Pending
from brokerage.domain.requests import trade_id_for
from tests.integration.conftest import Stack, stack_settings, trader
from tests.integration.helpers import until
from tests.integration.test_api import as_trader, order, serving

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def hurried(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("pending")
    settings = stack_settings(kafka_bootstrap, root / "state",
                              lambda p: f"{p}-{uuid.uuid4().hex[:8]}").model_copy(
        update={"api_response_timeout_seconds": 0.001})
    with serving(settings, root / "logs") as s:
        yield s


def pending(r: httpx.Response, status_url: str, request_id: str | None = None) -> None:
    """A 202 in the documented shape, pointing at status_url."""
    assert r.status_code == 202, r.text
    body = Pending.model_validate(r.json())
    assert set(r.json()) == {"status", "request_id", "status_url"}
    assert (body.status, body.status_url) == ("PENDING", status_url)
    assert r.headers["location"] == status_url
    assert request_id is None or body.request_id == request_id


def served(c: httpx.Client, url: str, **fields: Any) -> dict[str, Any]:
    """The status URL's body once it has the given fields (a bounded wait)."""
    last: list[str] = []

    def check() -> dict[str, Any] | None:
        r = c.get(url)
        last[:] = [f"{r.status_code} {r.text[:600]}"]
        body: dict[str, Any] = r.json() if r.status_code == 200 else {}
        return body if body and all(body.get(k) == v for k, v in fields.items()) else None

    try:
        found: dict[str, Any] = until(check, f"{url} to serve {fields}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; the last answer: {last}") from None
    return found


def test_writes_answer_202_and_their_status_urls_serve_the_outcome(hurried: Stack) -> None:
    s, t = hurried, trader()
    wallet_url = f"/v1/traders/{t}/wallet"
    pending(s.deposit(t, amount="5000.00", client_request_id="fund-1"), wallet_url, "fund-1")
    assert served(s.http, wallet_url)["cash"] == {"available": "5000.00", "blocked": "0.00"}

    with as_trader(s, t) as c:
        tid = trade_id_for(t, "buy-1")
        url = f"/v1/trades/{tid}"
        pending(order(c, t, "BUY", "NEWCO", 100, "5.00", key="buy-1"), url, "buy-1")
        booked = served(c, url, status="NEW")
        assert (booked["trade_id"], booked["client_request_id"]) == (tid, "buy-1")
        assert (booked["quantity"], booked["limit_price"], booked["blocked_cash"]) == (
            100, "5.00", "501.00")
        # A retry with the same key is a 202 for the same URL, and books nothing more.
        pending(order(c, t, "BUY", "NEWCO", 100, "5.00", key="buy-1"), url, "buy-1")

        pending(c.patch(url, json={"quantity": 200}, headers={"Idempotency-Key": "amend-1"}),
                url, "amend-1")
        assert served(c, url, status="NEW", quantity=200)["blocked_cash"] == "1001.00"
        pending(c.delete(url, headers={"Idempotency-Key": "cancel-1"}), url, "cancel-1")
        assert served(c, url, status="CANCELED")["blocked_cash"] == "0.00"

        listed = c.get(f"/v1/traders/{t}/trades").json()["trades"]
        assert [x["trade_id"] for x in listed] == [tid]
        assert served(c, wallet_url)["cash"] == {"available": "5000.00", "blocked": "0.00"}
