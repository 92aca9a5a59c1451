"""Span export: off costs an id and imports nothing of the SDK; on, each hop is a span whose
parent is the traceparent it received, exported over OTLP/HTTP to the endpoint."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from brokerage.observability import otel, trace


def test_off_makes_a_child_context_without_loading_the_sdk() -> None:
    code = ("import sys\nfrom brokerage.observability import otel, trace\n"
            "otel.configure('x', '')\nparent = trace.new()\n"
            "with otel.span('hop', parent) as ctx:\n"
            "    assert ctx.trace_id == parent.trace_id and ctx.span_id != parent.span_id\n"
            "with otel.span('root', None) as ctx:\n    assert ctx.trace_id\n"
            "assert not [m for m in sys.modules if m.startswith('opentelemetry.sdk')]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture
def collector() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    got: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            got.append((self.path, self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()


def test_on_exports_spans_that_continue_the_received_trace(
        collector: tuple[str, list[tuple[str, bytes]]]) -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    url, got = collector
    parent = trace.new()
    assert otel.configure("worker", url)
    try:
        with otel.span("apply", parent, "consumer", topic="inputs") as ctx:
            assert ctx.trace_id == parent.trace_id and ctx.span_id != parent.span_id
    finally:
        otel.shutdown()  # flushes the batch
    assert got and got[0][0] == "/v1/traces"
    req = ExportTraceServiceRequest.FromString(got[0][1])
    (span,) = [s for rs in req.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert span.name == "apply"
    assert span.trace_id.hex() == parent.trace_id and span.parent_span_id.hex() == parent.span_id
    assert span.span_id.hex() == ctx.span_id
    service = {a.key: a.value.string_value for a in req.resource_spans[0].resource.attributes}
    assert service["service.name"] == "worker"
    # Off again: no export, contexts still made.
    with otel.span("apply", parent) as again:
        assert again.trace_id == parent.trace_id
