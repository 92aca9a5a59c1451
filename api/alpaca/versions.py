"""A replaced trade as Alpaca's chain of orders: one order per version, each with its own id.

Our amend keeps the trade (one trade id, one block, one fill history) and bumps its version
when the exchange confirms. Alpaca's replace makes a NEW order whose `replaces` is the old
one, which turns `replaced` with `replaced_by` set. So each version gets a stable UUID from
its exchange client order id ('<trade>:0' keeps the trade's own UUID, ':r<n>' a new one):
the versions the trade remembers (`superseded`), the live one, and while a replace waits
for the exchange, its replacement (`pending_new`). Only the facade sees this; no rule does.
"""

from __future__ import annotations

import uuid
from typing import Any

from brokerage.domain.events import AmendTrade

from .shapes import NAMESPACE, notional_up_to, order_uuid

REPLACED = "REPLACED"  # Alpaca's status of a superseded version; no trade of ours has it


def version_uuid(trade_id: str, order_id: str) -> str:
    if not order_id or order_id == f"{trade_id}:0":
        return order_uuid(trade_id)
    return str(uuid.uuid5(NAMESPACE, f"order:{order_id}"))


def _as(t: dict[str, Any], v: dict[str, Any], **over: Any) -> dict[str, Any]:
    """The trade with one version's identity and terms (the rest is the trade's)."""
    return {**t, "request_id": v["request_id"], "created_ms": v["created_ms"],
            "quantity": v["quantity"], "limit_price": v["limit_price"],
            "time_in_force": v["time_in_force"], **over}


def chain(t: dict[str, Any]) -> list[dict[str, Any]]:
    """The trade's Alpaca orders, oldest first. Each carries `id` (Alpaca's), `replaces` and
    `replaced_by` (ids or None) and `replaced_ms`, read by `shapes.order_json`."""
    tid = t["trade_id"]
    old = t.get("superseded") or []  # absent from states written before versions existed
    ids = [version_uuid(tid, v["order_id"]) for v in old] + [
        version_uuid(tid, t.get("order_id", ""))]
    out = []
    for k, v in enumerate(old):
        out.append(_as(t, v, status=REPLACED, cum_qty=v["cum_qty"],
                       cum_notional=notional_up_to(t["fills"], v["cum_qty"]),
                       updated_ms=v["replaced_ms"], id=ids[k],
                       replaces=ids[k - 1] if k else None, replaced_by=ids[k + 1],
                       replaced_ms=v["replaced_ms"], live=False))
    made_by, made_ms = (old[-1]["replaced_by"], old[-1]["replaced_ms"]) if old else (
        t["request_id"], t["created_ms"])
    current = {**t, "request_id": made_by, "created_ms": made_ms, "id": ids[-1],
            "replaces": ids[-2] if old else None, "replaced_by": None, "replaced_ms": None,
            "live": True}
    out.append(current)
    if t["status"] == "PENDING_REPLACE" and t.get("change_request_id"):
        out.append(_pending(t, current))
    return out


def _pending(t: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The replacement a pending amend asks for: not at the exchange yet."""
    asked = [c["at_ms"] for c in t["history"] if c["cause"] == t["change_request_id"]]
    price = t.get("pending_price") if t["limit_price"] is not None else None
    key = f"{t['trade_id']}:r{t.get('changes', 0)}"  # what requests.change_order_id gave it
    return {**t, "request_id": t["change_request_id"],
            "created_ms": asked[-1] if asked else t["updated_ms"],
            "quantity": t.get("pending_qty") or t["quantity"], "limit_price": price,
            "time_in_force": t.get("pending_time_in_force") or t["time_in_force"],
            "status": "PENDING_NEW", "id": version_uuid(t["trade_id"], key),
            "replaces": current["id"], "replaced_by": None, "replaced_ms": None, "live": False}


def asked(t: dict[str, Any], req: AmendTrade) -> dict[str, Any]:
    """The replacement an accepted amend makes, from the trade as it was before it (a table
    read may trail the worker's answer); the same view `chain` gives once it shows."""
    tif = req.time_in_force and req.time_in_force.value
    then = {**t, "status": "PENDING_REPLACE", "change_request_id": req.request_id,
            "changes": t.get("changes", 0) + 1,
            "pending_qty": req.quantity or t["quantity"],
            "pending_price": req.limit_price or t.get("block_price"),
            "pending_time_in_force": tif if tif != t["time_in_force"] else None}
    return _pending(then, live(chain(t)))


def orders(state: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [o for t in (state or {}).get("trades", []) for o in chain(t)]


def live(versions: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in versions if o["live"])


def find(state: dict[str, Any] | None, order_id: str) -> dict[str, Any] | None:
    """The caller's order behind an Alpaca id (any version), or a trade id (its live one)."""
    for t in (state or {}).get("trades", []):
        versions = chain(t)
        if order_id == t["trade_id"]:
            return live(versions)
        for o in versions:
            if order_id == o["id"]:
                return o
    return None


def as_of(t: dict[str, Any], order_id: str | None, request_id: str | None = None
          ) -> dict[str, Any]:
    """The version an update was about: the one the amend `request_id` replaced, or the one
    live at the exchange as `order_id`; else the one live now."""
    versions = chain(t)
    for k, v in enumerate(t.get("superseded") or []):
        if request_id is not None and v["replaced_by"] == request_id:
            return versions[k]
    wanted = order_id and version_uuid(t["trade_id"], order_id)
    return next((o for o in versions if o["id"] == wanted), None) or live(versions)
