"""A statement as JSON (the API's money format: decimal strings) or as text (the CLI)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .statement import Balances, Statement


def money(minor: int) -> str:
    return str((Decimal(minor) / 100).quantize(Decimal("0.01")))


def balances_json(b: Balances) -> dict[str, Any]:
    return {"cash": {"available": money(b.cash_available), "blocked": money(b.cash_blocked),
                     "total": money(b.cash_total)},
            "holdings": {s: {"available": a, "blocked": k} for s, (a, k) in b.holdings.items()}}


def statement_json(s: Statement) -> dict[str, Any]:
    return {
        "trader_id": s.trader_id,
        "date": s.day.isoformat(),
        "timezone": "UTC",
        "opening": balances_json(s.opening),
        "closing": balances_json(s.closing),
        "totals": {"bought": money(s.bought), "sold": money(s.sold), "fees": money(s.fees)},
        "trades": [{"trade_id": t.trade_id, "side": t.side, "symbol": t.symbol,
                    "order_type": t.order_type, "time_in_force": t.time_in_force,
                    "quantity": t.quantity,
                    "limit_price": None if t.limit_price is None else money(t.limit_price),
                    "status": t.status, "created_ms": t.created_ms} for t in s.trades],
        "fills": [{"exec_id": f.exec_id, "trade_id": f.trade_id, "side": f.side,
                   "symbol": f.symbol, "quantity": f.quantity, "price": money(f.price),
                   "fee": money(f.fee), "at_ms": f.at_ms} for f in s.fills],
        "movements": [{"kind": m.kind, "cause": m.cause, "at_ms": m.at_ms,
                       **({"amount": money(m.amount)} if m.account == "cash"
                          else {"symbol": m.symbol, "shares": m.amount})}
                      for m in s.movements],
    }


def statement_text(s: Statement) -> str:
    def bal(b: Balances) -> str:
        held = ", ".join(f"{sym} {a} ({k} blocked)" for sym, (a, k) in b.holdings.items())
        return (f"cash {money(b.cash_total)} ({money(b.cash_available)} available, "
                f"{money(b.cash_blocked)} blocked); holdings: {held or 'none'}")

    lines = [f"Statement for {s.trader_id}, {s.day.isoformat()} (UTC)",
             f"  opening  {bal(s.opening)}"]
    lines += [f"  {m.kind.lower():<10} " + (money(m.amount) if m.account == "cash"
                                           else f"{m.amount} {m.symbol}") + f"  ({m.cause})"
              for m in s.movements]
    lines.append(f"  trades ({len(s.trades)}):")
    lines += [f"    {t.trade_id}  {t.side} {t.quantity} {t.symbol} "
              f"@ {'MKT' if t.limit_price is None else money(t.limit_price)}  {t.status}"
              for t in s.trades]
    lines.append(f"  fills ({len(s.fills)}):")
    lines += [f"    {f.exec_id}  {f.side} {f.quantity} {f.symbol} @ {money(f.price)} "
              f"fee {money(f.fee)}" for f in s.fills]
    lines.append(f"  bought {money(s.bought)}, sold {money(s.sold)}, fees {money(s.fees)}")
    lines.append(f"  closing  {bal(s.closing)}")
    return "\n".join(lines)


def history_json(t: dict[str, Any]) -> dict[str, Any]:
    """A trades row as the history route shows it."""
    filled = t["cum_qty"]
    return {
        "trade_id": t["trade_id"], "client_request_id": t["request_id"], "side": t["side"],
        "symbol": t["symbol"], "order_type": t["order_type"],
        "time_in_force": t["time_in_force"], "quantity": t["quantity"],
        "limit_price": None if t["limit_price"] is None else money(t["limit_price"]),
        "status": t["status"], "filled_quantity": filled,
        "average_price": money(t["cum_notional"] // filled) if filled else None,
        "fees": money(t["fees"]), "created_ms": t["created_ms"], "updated_ms": t["updated_ms"],
    }
