"""TraderState <-> bytes (Avro single-object, schemas/trader_state.avsc): the table value."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from brokerage.domain.events import Response
from brokerage.domain.state import (
    Change,
    Fill,
    Position,
    ProcessedRequest,
    ShareTotals,
    Superseded,
    Totals,
    Trade,
    TraderState,
    Trades,
)
from brokerage.domain.types import OrderType, RejectReason, Side, TimeInForce, TradeStatus
from brokerage.security.envelope import open_state, seal_state

from .avro import decode, encode
from .state_writer import state_bytes

STATE_VERSION = 1
_TRADE_ENUMS = {"side": Side, "order_type": OrderType, "time_in_force": TimeInForce,
                "status": TradeStatus}


# Field names once, not per record: `fields()` showed in the worker's profile.
_TRADE_SCALARS = tuple(f.name for f in fields(Trade)
                       if f.name not in ("fills", "history", "superseded"))
_SUPERSEDED = tuple(f.name for f in fields(Superseded))
_TOTALS = tuple(f.name for f in fields(Totals))


def trade_to(t: Trade) -> dict[str, Any]:
    d = {name: getattr(t, name) for name in _TRADE_SCALARS}
    for k in ("side", "order_type", "time_in_force", "status", "prior_status",
              "pending_time_in_force"):
        d[k] = d[k] and d[k].value
    d["superseded"] = [{name: getattr(v, name) for name in _SUPERSEDED}
                       | {"time_in_force": v.time_in_force.value} for v in t.superseded]
    d["fills"] = [{"exec_id": f.exec_id, "quantity": f.quantity, "price": f.price, "fee": f.fee}
                  for f in t.fills]
    d["history"] = [{"at_ms": c.at_ms, "status": c.status.value, "cause": c.cause}
                    for c in t.history]
    return d


def trade_from(d: dict[str, Any]) -> Trade:
    d = dict(d)
    for k, enum in _TRADE_ENUMS.items():
        d[k] = enum(d[k])
    d["prior_status"] = d["prior_status"] and TradeStatus(d["prior_status"])
    d["pending_time_in_force"] = d["pending_time_in_force"] and TimeInForce(
        d["pending_time_in_force"])
    d["superseded"] = tuple(Superseded(**(v | {"time_in_force": TimeInForce(v["time_in_force"])}))
                            for v in d["superseded"])
    d["fills"] = tuple(Fill(**f) for f in d["fills"])
    d["history"] = tuple(Change(c["at_ms"], TradeStatus(c["status"]), c["cause"])
                         for c in d["history"])
    return Trade(**d)


def processed_to(request_id: str, p: ProcessedRequest) -> dict[str, Any]:
    r = p.response
    return {
        "request_id": request_id, "fingerprint": p.fingerprint, "accepted": r.accepted,
        "trade_id": r.trade_id, "status": r.status and r.status.value,
        "reason": r.reason and r.reason.value, "message": r.message,
    }


def state_to_bytes(s: TraderState) -> bytes:
    # Sealed with AES-GCM when a state key ring is configured (README: Security).
    return seal_state(state_bytes(s, STATE_VERSION, processed_to))


def state_plain(data: bytes) -> bytes:
    """A stored state's Avro bytes: opened if sealed; a wrong key raises EncryptionError."""
    return open_state(data)


def reference_bytes(s: TraderState) -> bytes:
    """The plain encoding through fastavro, which `state_to_bytes` must equal byte for byte."""
    return encode("trader_state", state_record(s), reference=True)


def state_record(s: TraderState) -> dict[str, Any]:
    """The state as its Avro record (what decoding its bytes gives)."""
    return {
        "version": STATE_VERSION, "trader_id": s.trader_id,
        "cash_available": s.cash_available, "cash_blocked": s.cash_blocked,
        "positions": positions_to(s),
        "trades": [trade_to(t) for t in s.trades.values()],
        "totals": totals_to(s),
        "share_totals": share_totals_to(s),
        "requests": [processed_to(k, p) for k, p in s.requests.items()],
        "exec_ids": list(s.exec_ids),
        "days_closed": list(s.days_closed),
    }


def positions_to(s: TraderState) -> list[dict[str, Any]]:
    return [{"symbol": k, "available": p.available, "blocked": p.blocked}
            for k, p in s.positions.items()]


def totals_to(s: TraderState) -> dict[str, int]:
    return {name: getattr(s.totals, name) for name in _TOTALS}


def share_totals_to(s: TraderState) -> list[dict[str, Any]]:
    return [{"symbol": k, "deposited": t.deposited, "withdrawn": t.withdrawn,
             "bought": t.bought, "sold": t.sold} for k, t in s.share_totals.items()]


def processed_from(p: dict[str, Any], trader_id: str) -> ProcessedRequest:
    return ProcessedRequest(p["fingerprint"], Response(
        p["request_id"], trader_id, p["accepted"], p["trade_id"],
        p["status"] and TradeStatus(p["status"]), p["reason"] and RejectReason(p["reason"]),
        p["message"]))


def scalars_from(r: dict[str, Any], s: TraderState) -> None:
    """Set `s`'s cash, holdings, totals and closed days from a state or head record."""
    s.cash_available, s.cash_blocked = r["cash_available"], r["cash_blocked"]
    s.positions = {p["symbol"]: Position(p["available"], p["blocked"]) for p in r["positions"]}
    s.totals = Totals(**r["totals"])
    s.share_totals = {t["symbol"]: ShareTotals(**{k: v for k, v in t.items() if k != "symbol"})
                      for t in r["share_totals"]}
    s.days_closed = tuple(r["days_closed"])


def state_from_bytes(data: bytes) -> TraderState:
    return state_from_record(decode("trader_state", open_state(data)))


def state_from_record(r: dict[str, Any]) -> TraderState:
    s = TraderState(
        trader_id=r["trader_id"],
        trades=Trades({t["trade_id"]: trade_from(t) for t in r["trades"]}),
        requests={p["request_id"]: processed_from(p, r["trader_id"]) for p in r["requests"]},
        exec_ids=dict.fromkeys(r["exec_ids"]),
    )
    scalars_from(r, s)
    return s
