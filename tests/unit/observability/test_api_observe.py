"""The API's ingress: a trace is continued from the caller's traceparent (or started),
returned as X-Trace-Id, bound while the handler runs, and the request is counted by its
route template and status."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from api.observe import Observe
from brokerage.observability import trace


def count(route: str, status: str) -> float:
    v = REGISTRY.get_sample_value("brokerage_api_requests_total",
                                  {"route": route, "method": "GET", "status": status})
    return v or 0.0


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/t/observe/{item}")
    async def item(item: str) -> dict[str, str | None]:
        return {"trace_id": trace.fields().get("trace_id"), "item": item}

    app.add_middleware(Observe)
    return app


def test_continues_the_callers_trace_and_counts_by_route() -> None:
    client = TestClient(make_app())
    parent = trace.new()
    before = count("/t/observe/{item}", "200")
    r = client.get("/t/observe/1", headers={"traceparent": parent.traceparent})
    assert r.headers["x-trace-id"] == parent.trace_id == r.json()["trace_id"]
    r = client.get("/t/observe/2")  # no header: a new trace
    assert r.headers["x-trace-id"] == r.json()["trace_id"] != parent.trace_id
    assert count("/t/observe/{item}", "200") == before + 2
    before_404 = count("unmatched", "404")
    assert client.get("/t/nowhere", headers={"traceparent": "junk"}).status_code == 404
    assert count("unmatched", "404") == before_404 + 1
