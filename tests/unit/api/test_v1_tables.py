"""Reads of the workers' tables: a worker that fails (5xx while it rebalances or cannot reach
the partition's owner, a body that is not JSON, unreachable) is skipped for the next one; when
none answers, the API answers 503 in its one error shape with Retry-After, never a bare 500."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from api.tables import TableReader
from tests.unit.api.v1_fakes import app, client, state

ALICE = state("alice")
Answer = Callable[[httpx.Request], httpx.Response]


def workers(answers: dict[str, Answer]) -> tuple[TableReader, list[str]]:
    """A reader over fake workers, one per host; and the hosts asked, in order."""
    asked: list[str] = []

    def route(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.host)
        return answers[request.url.host](request)

    urls = [f"http://{host}:6066" for host in answers]
    return TableReader(urls, httpx.MockTransport(route)), asked


def read(reader: TableReader, trader_id: str = "alice") -> Any:
    async def go() -> Any:
        try:
            return await reader.trader(trader_id)
        finally:
            await reader.close()

    return asyncio.run(go())


def serves(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=ALICE)


def unavailable(_: httpx.Request) -> httpx.Response:  # faust's ServiceUnavailable
    return httpx.Response(503, json={"error": "Service unavailable"})


def broken(_: httpx.Request) -> httpx.Response:  # the owner unreachable from this worker
    return httpx.Response(500, text="Internal Server Error")


def garbled(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html>a proxy's page</html>")


def not_an_object(_: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=["alice"])


def unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.mark.parametrize("failing", [unavailable, broken, garbled, not_an_object, unreachable])
def test_a_failing_worker_is_skipped_for_the_next(failing: Answer) -> None:
    reader, asked = workers({"w1": failing, "w2": serves})
    assert read(reader) == ALICE
    assert asked == ["w1", "w2"]


def test_unknown_trader_is_none_from_the_first_worker_that_says_so() -> None:
    reader, asked = workers({"w1": unavailable, "w2": lambda _: httpx.Response(
        404, json={"error": "not_found"}), "w3": serves})
    assert read(reader, "nobody") is None
    assert asked == ["w1", "w2"]


def test_no_worker_answering_is_a_connection_error() -> None:
    reader, asked = workers({"w1": unavailable, "w2": broken, "w3": garbled})
    with pytest.raises(ConnectionError, match="no worker answered"):
        read(reader)
    assert asked == ["w1", "w2", "w3"]


@pytest.mark.parametrize("path", ["/v1/traders/alice/wallet", "/v1/traders/alice/trades",
                                  "/v1/trades/alice.0123456789abcdef"])
def test_the_api_answers_503_in_its_error_shape_when_no_worker_answers(path: str) -> None:
    reader, _ = workers({"w1": unavailable, "w2": broken})
    r = client(app(reader)).get(path)
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["retry-after"] == "1"
    assert r.json() == {"error": {"code": "unavailable", "message": "no worker answered",
                                  "details": None}}
    assert "w1" not in r.text  # internal addresses stay in the log


def test_the_api_serves_through_a_second_worker() -> None:
    reader, _ = workers({"w1": unavailable, "w2": serves})
    r = client(app(reader)).get("/v1/traders/alice/wallet")
    assert r.status_code == 200, r.text
    assert r.json()["cash"] == {"available": "10.00", "blocked": "0.00"}
