"""Invariants one trader's state must always satisfy. Pure; used by the verifier and tests."""

from __future__ import annotations

from .state import TraderState
from .types import Side


def violations(s: TraderState) -> list[str]:
    out: list[str] = []
    t = s.totals
    held = s.cash_available + s.cash_blocked
    expected = t.deposited - t.withdrawn - t.fees - t.bought_notional + t.sold_notional
    if held != expected:
        out.append(f"cash not conserved: holds {held}, ledger says {expected}")
    if s.cash_available < 0 or s.cash_blocked < 0:
        out.append(f"negative cash: {s.cash_available} available, {s.cash_blocked} blocked")
    open_cash = sum(tr.blocked_cash for tr in s.trades.values() if not tr.status.terminal)
    if open_cash != s.cash_blocked:
        out.append(f"cash blocked {s.cash_blocked} but open trades hold {open_cash}")
    for symbol in set(s.positions) | set(s.share_totals):
        pos, st = s.position(symbol), s.share_totals.get(symbol)
        want = (st.deposited - st.withdrawn + st.bought - st.sold) if st else 0
        if pos.available + pos.blocked != want:
            out.append(f"{symbol} not conserved: holds {pos.available + pos.blocked}, "
                       f"ledger says {want}")
        if pos.available < 0 or pos.blocked < 0:
            out.append(f"negative {symbol}: {pos.available} available, {pos.blocked} blocked")
        held_shares = sum(tr.blocked_shares for tr in s.trades.values()
                          if tr.symbol == symbol and tr.side is Side.SELL
                          and not tr.status.terminal)
        if held_shares != pos.blocked:
            out.append(f"{symbol} blocked {pos.blocked} but open sells hold {held_shares}")
    for tr in s.trades.values():
        if tr.status.terminal and (tr.blocked_cash or tr.blocked_shares):
            out.append(f"{tr.trade_id} is {tr.status} but still holds "
                       f"{tr.blocked_cash} cash / {tr.blocked_shares} shares")
        if sum(f.quantity for f in tr.fills) != tr.cum_qty or tr.cum_qty > tr.quantity:
            out.append(f"{tr.trade_id}: fills do not add up to {tr.cum_qty} of {tr.quantity}")
        if len({f.exec_id for f in tr.fills}) != len(tr.fills):
            out.append(f"{tr.trade_id}: an execution applied twice")
    return out
