"""One input of the merged log through the rules, glued to its trace, metrics and event
line; and a faust message as `frames.unpack` takes it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from time import perf_counter
from typing import Any

from brokerage.observability import otel, trace
from brokerage.observability.metrics import Tally
from brokerage.service.batch import Batch
from brokerage.service.frames import Input
from brokerage.service.messages import Out, Send

from . import metrics, observe


def apply(batch: Batch, inp: Input, read: Callable[[bytes], bytes | None],
          executions_topic: str, tally: Tally) -> list[Send]:
    """One input through the rules, with its trace, metrics (into `tally`: the caller
    flushes it) and event line."""
    src = inp.source(executions_topic)
    key = inp.key
    # The trace the input carries goes on with everything it causes (README: Operating).
    with otel.span("apply", trace.from_headers(inp.headers), "consumer") as ctx, \
            trace.bound(ctx, trader_id=key.decode("utf-8", "replace") if key else None):
        started = perf_counter()
        result = batch.apply(src, key, inp.value, read)
        tally.observe(metrics.APPLY_SECONDS, perf_counter() - started)
        tally.inc(metrics.events_of(result.kind))
        observe.record(result, tally)
        for s in result.sends:
            if s.to is Out.DEAD_LETTERS:
                tally.inc(metrics.dead_letters_of(dict(s.headers)["dlq.code"].decode()))
            s.headers.append(trace.header(ctx))
    return result.sends


def input_of(msg: Any, value: Any) -> Input:
    """A faust message of trader-inputs, as `frames.unpack` takes it."""
    h = msg.headers or []
    headers = list(h.items()) if isinstance(h, Mapping) else [(k, v or b"") for k, v in h]
    return Input(msg.topic, msg.partition, msg.offset,
                 msg.key if isinstance(msg.key, bytes) else None,
                 value if isinstance(value, bytes) else None, headers,
                 int(msg.timestamp * 1000))
