"""`POST /orders/batch`: many order instructions in one call (docs/exchange-protocol.md).

Each item is the path and body of one of the single calls, plus its own traceparent; items
are executed in their order, as if sent one after another, and each gets the answer the
single call would have. It saves the per-call HTTP cost, which dominated the connector's and
the simulator's CPU under load."""

from __future__ import annotations

import asyncio
from typing import Any

from brokerage.observability import trace
from brokerage.observability.eventlog import EventLog

from .protocol import Answer, BadRequest, Instr, parse_cancel, parse_new, parse_replace
from .venue import Venue

MAX_ITEMS = 1000
events = EventLog()


def parse_item(item: Any) -> Instr:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise BadRequest("an item is {path, body[, traceparent]}")
    path, body = item["path"], item.get("body")
    if path == "/orders":
        return parse_new(body)
    parts = path.split("/")
    if len(parts) == 4 and parts[:2] == ["", "orders"] and parts[2]:
        if parts[3] == "cancel":
            return parse_cancel(parts[2], body)
        if parts[3] == "replace":
            return parse_replace(parts[2], body)
    raise BadRequest(f"path {path[:100]!r}: not an order instruction")


def parse_items(body: Any) -> list[Any]:
    items = body.get("instructions") if isinstance(body, dict) else None
    if not isinstance(items, list) or not 0 < len(items) <= MAX_ITEMS:
        raise BadRequest(f"instructions: a list of 1 to {MAX_ITEMS} items")
    return items


async def execute_all(venue: Venue, items: list[Any]) -> list[dict[str, Any]]:
    """Every item's {status, body}. Submitted in order (the venue queues them in that order
    and journals them together), answered when all are. No task per item: those were a
    good part of the simulator's CPU per order."""
    submitted: list[tuple[Instr | None, Answer | asyncio.Future[Answer]]] = []
    for item in items:
        try:
            instr = parse_item(item)
        except BadRequest as exc:
            submitted.append((None, (400, {"error": str(exc)})))
            continue
        submitted.append((instr, venue.submit(instr)))
    out = []
    for item, (done, pending) in zip(items, submitted, strict=True):
        status, answer = await pending if isinstance(pending, asyncio.Future) else pending
        if done is not None:
            events.info("batch %s %s -> %d", done.op, done.id, status,
                        ctx=trace.parse(item.get("traceparent")))
        out.append({"status": status, "body": answer})
    return out
