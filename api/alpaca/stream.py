"""GET /stream (WebSocket): Alpaca's trading stream, as alpaca-py's TradingStream speaks it.

authenticate -> {"stream": "authorization", ...}; listen to ["trade_updates"] ->
{"stream": "listening", ...}; then {"stream": "trade_updates", "data": {event, order, ...}}
for the authenticated trader's orders only. Frames are JSON text (Alpaca sends the same JSON
in binary frames; clients parse either).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from api.auth import Principal
from api.money import from_minor
from api.tables import TableReader

from . import shapes, versions
from .feed import Update

router = APIRouter()
log = logging.getLogger("brokerage.api.stream")
AUTH_TIMEOUT = 10.0
STATE_TRIES = 10


def _authorization(status: str) -> str:
    return json.dumps({"stream": "authorization",
                       "data": {"status": status, "action": "authenticate"}})


def _credentials(msg: dict[str, Any]) -> tuple[str, str]:
    inner = msg.get("data")
    data: dict[str, Any] = inner if isinstance(inner, dict) else msg  # both forms
    return str(data.get("key_id") or data.get("key") or ""), str(
        data.get("secret_key") or data.get("secret") or "")


async def _receive(ws: WebSocket) -> dict[str, Any]:
    msg = await ws.receive()
    if msg["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(msg.get("code", 1000))
    try:
        data = json.loads(msg.get("text") or msg.get("bytes") or b"")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def messages(update: Update, state: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The trade_updates frames for one update, each with the order as of it. A confirmed
    replace is two, as Alpaca's: `replaced` (the old order, `replaced_by` the new one), then
    `new` (the new order, `replaces` the old one)."""
    if update.order is not None:  # a refused NEW: never booked, the update has its terms
        return [_frame(update, update.event, update.order)]
    trade = shapes.find(state, update.trade_id)
    if trade is None:  # gone from the state's memory of closed trades
        return []
    request = update.request_id if update.event == "pending_replace" else None
    # As it was then: a version replaced since was not yet.
    order = {**versions.as_of(trade, update.order_id, request), "replaced_by": None,
             "replaced_ms": None}
    if update.event != "replaced" or not order.get("replaces"):
        return [_frame(update, update.event, order, update.status)]
    old = next(o for o in versions.chain(trade) if o["id"] == order["replaces"])
    old = {**old, "replaced_by": order["id"], "replaced_ms": update.at_ms,
           "status": versions.REPLACED}
    return [_frame(update, "replaced", old), _frame(update, "new", order, update.status)]


def _frame(update: Update, event: str, order: dict[str, Any], status: str | None = None
           ) -> dict[str, Any]:
    data: dict[str, Any] = {
        "event": event, "timestamp": shapes.rfc3339(update.at_ms),
        "order": shapes.order_json(order, status, update.cum_qty, update.at_ms)}
    if update.exec_id is not None:
        data["execution_id"] = shapes.exec_uuid(update.exec_id)
    if update.last_qty:
        data.update(qty=str(update.last_qty), price=from_minor(update.last_price))
    return {"stream": "trade_updates", "data": data}


async def _state(tables: TableReader, trader_id: str) -> dict[str, Any] | None:
    for attempt in range(STATE_TRIES):
        try:
            return await tables.trader(trader_id)
        except ConnectionError:
            await asyncio.sleep(0.2 * (attempt + 1))
    raise ConnectionError("no worker answered")


async def _send_updates(ws: WebSocket, who: Principal, queue: asyncio.Queue[Update | None]
                        ) -> None:
    tables: TableReader = ws.app.state.ctx.tables
    while True:
        batch = [await queue.get()]
        while not queue.empty():
            batch.append(queue.get_nowait())
        if None in batch:
            await ws.close(1011, "too slow: updates were dropped")
            return
        state = await _state(tables, who.trader_id)  # one read for the batch
        for update in batch:
            for msg in messages(update, state) if update is not None else []:
                await ws.send_text(json.dumps(msg))


async def _control(ws: WebSocket, who: Principal, queue: asyncio.Queue[Update | None]) -> None:
    updates = ws.app.state.alpaca.updates
    while True:
        msg = await _receive(ws)
        if msg.get("action") != "listen":
            continue
        inner = msg.get("data")
        data: dict[str, Any] = inner if isinstance(inner, dict) else {}
        wanted = [s for s in data.get("streams") or [] if s == "trade_updates"]
        (updates.listen if wanted else updates.unlisten)(who.trader_id, queue)
        await ws.send_text(json.dumps({"stream": "listening", "data": {"streams": wanted}}))


@router.websocket("/stream")
async def stream(ws: WebSocket) -> None:
    await ws.accept()
    keys = ws.app.state.alpaca.keys
    try:
        first = await asyncio.wait_for(_receive(ws), AUTH_TIMEOUT)
        who = None
        if first.get("action") in ("authenticate", "auth"):
            who = await keys.authenticate(*_credentials(first))
        if who is None:
            await ws.send_text(_authorization("unauthorized"))
            await ws.close(1008)
            return
        await ws.send_text(_authorization("authorized"))
    except TimeoutError:
        await ws.close(1008, "auth timeout")
        return
    except WebSocketDisconnect:
        return
    queue: asyncio.Queue[Update | None] = asyncio.Queue()
    tasks = [asyncio.ensure_future(_control(ws, who, queue)),
             asyncio.ensure_future(_send_updates(ws, who, queue))]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if (exc := task.exception()) is not None and not isinstance(
                    exc, WebSocketDisconnect | RuntimeError):
                log.warning("trade stream for %s ended: %r", who.trader_id, exc)
    finally:
        for task in tasks:
            task.cancel()
        ws.app.state.alpaca.updates.unlisten(who.trader_id, queue)
