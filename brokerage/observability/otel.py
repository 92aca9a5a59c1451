"""Optional span export with the OpenTelemetry SDK over OTLP/HTTP (`BROKERAGE_OTLP_ENDPOINT`).

Off by default. When off nothing of the SDK is imported and `span` only makes the next hop's
trace context (a few random bytes), so it costs nothing. When on, every hop is a span whose
parent is the traceparent it received; the SDK batches and exports them in the background.
Install the SDK with the `otel` extra (`pip install brokerage[otel]`; the image has it).
"""

from __future__ import annotations

import atexit
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from . import trace
from .trace import TraceContext

log = logging.getLogger("brokerage.otel")
_tracer: Any = None  # an opentelemetry Tracer while export is on
_provider: Any = None


def configure(service: str, endpoint: str) -> bool:
    """Export spans of `service` to `endpoint` (OTLP/HTTP, e.g. http://collector:4318); an
    empty endpoint turns export off. True if export is on."""
    global _tracer, _provider
    shutdown()
    if not endpoint:
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.error("BROKERAGE_OTLP_ENDPOINT is set but the OpenTelemetry SDK is not installed "
                  "(pip install 'brokerage[otel]'): spans are not exported")
        return False
    url = endpoint.rstrip("/")
    url = url if url.endswith("/v1/traces") else url + "/v1/traces"
    _provider = TracerProvider(resource=Resource.create({"service.name": service}))
    _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=url)))
    _tracer = _provider.get_tracer("brokerage")
    atexit.register(shutdown)
    log.info("exporting spans to %s", url)
    return True


def shutdown() -> None:
    """Flush what is batched and stop exporting."""
    global _tracer, _provider
    if _provider is not None:
        _provider.shutdown()
    _tracer = _provider = None


class _Hop(AbstractContextManager[TraceContext]):
    """A span while export is off: only the next hop's context (no generator: this is on
    every event's path)."""

    __slots__ = ("ctx",)

    def __init__(self, ctx: TraceContext) -> None:
        self.ctx = ctx

    def __enter__(self) -> TraceContext:
        return self.ctx

    def __exit__(self, *exc: object) -> None:
        return None


def span(name: str, parent: TraceContext | None, kind: str = "internal",
         **attributes: str | int) -> AbstractContextManager[TraceContext]:
    """The context of one hop, child of `parent` (a new trace if None), to hand on."""
    if _tracer is None:
        return _Hop(parent.child() if parent else trace.new())
    return _exported(name, parent, kind, attributes)


@contextmanager
def _exported(name: str, parent: TraceContext | None, kind: str,
              attributes: dict[str, str | int]) -> Iterator[TraceContext]:
    from opentelemetry import trace as ot

    ctx = None
    if parent is not None:
        remote = ot.SpanContext(int(parent.trace_id, 16), int(parent.span_id, 16),
                                is_remote=True, trace_flags=ot.TraceFlags(int(parent.flags, 16)))
        ctx = ot.set_span_in_context(ot.NonRecordingSpan(remote))
    with _tracer.start_as_current_span(name, context=ctx, kind=ot.SpanKind[kind.upper()],
                                       attributes=attributes) as s:
        sc = s.get_span_context()
        yield TraceContext(f"{sc.trace_id:032x}", f"{sc.span_id:016x}",
                           f"{int(sc.trace_flags):02x}")
