"""Per-trader balances in the reporting store against the live tables. Pure comparison."""

from __future__ import annotations

from brokerage.domain.state import TraderState

from .statement import Balances


def live_balances(state: TraderState) -> Balances:
    rows = [("cash", "", "available", state.cash_available),
            ("cash", "", "blocked", state.cash_blocked)]
    rows += [("shares", s, b, n) for s, p in state.positions.items()
             for b, n in (("available", p.available), ("blocked", p.blocked))]
    return Balances.of(rows)


def differences(stored: dict[str, Balances], live: dict[str, Balances]) -> list[str]:
    """One line per trader whose balances differ; empty when they all agree."""
    out = []
    for trader in sorted(stored.keys() | live.keys()):
        # A trader with nothing on one side has zero balances there.
        a, b = stored.get(trader, Balances()), live.get(trader, Balances())
        if a == b:
            continue
        parts = []
        if a.cash_available != b.cash_available or a.cash_blocked != b.cash_blocked:
            parts.append(f"cash {a.cash_available}/{a.cash_blocked} in PostgreSQL, "
                         f"{b.cash_available}/{b.cash_blocked} live (available/blocked, cents)")
        for symbol in sorted(a.holdings.keys() | b.holdings.keys()):
            x, y = a.holdings.get(symbol, (0, 0)), b.holdings.get(symbol, (0, 0))
            if x != y:
                parts.append(f"{symbol} {x[0]}/{x[1]} in PostgreSQL, {y[0]}/{y[1]} live")
        out.append(f"{trader}: " + "; ".join(parts))
    return out
