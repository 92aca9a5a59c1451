"""A trader's daily statement from ledger entries, fills and trades. Pure: rows in, data out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Balances:
    cash_available: int = 0
    cash_blocked: int = 0
    holdings: dict[str, tuple[int, int]] = field(default_factory=dict)  # (available, blocked)

    @classmethod
    def of(cls, sums: Iterable[tuple[str, str, str, int]]) -> Balances:
        """From (account, symbol, bucket, amount) rows, summed; empty holdings dropped."""
        cash = {"available": 0, "blocked": 0}
        shares: dict[str, dict[str, int]] = {}
        for account, symbol, bucket, amount in sums:
            if account == "cash":
                cash[bucket] += amount
            else:
                held = shares.setdefault(symbol, {"available": 0, "blocked": 0})
                held[bucket] += amount
        holdings = {s: (h["available"], h["blocked"]) for s, h in sorted(shares.items())
                    if h["available"] or h["blocked"]}
        return cls(cash["available"], cash["blocked"], holdings)

    @property
    def cash_total(self) -> int:
        return self.cash_available + self.cash_blocked


@dataclass(frozen=True)
class Entry:
    account: str
    symbol: str
    bucket: str
    kind: str
    amount: int
    cause: str
    trade_id: str | None
    at_ms: int


@dataclass(frozen=True)
class FillLine:
    exec_id: str
    trade_id: str
    side: str
    symbol: str
    quantity: int
    price: int
    fee: int
    at_ms: int


@dataclass(frozen=True)
class TradeLine:
    trade_id: str
    side: str
    symbol: str
    order_type: str
    time_in_force: str
    quantity: int
    limit_price: int | None
    status: str  # at the end of the day
    created_ms: int


@dataclass(frozen=True)
class Statement:
    trader_id: str
    day: date
    opening: Balances
    closing: Balances
    trades: list[TradeLine]
    fills: list[FillLine]
    movements: list[Entry]  # deposits and withdrawals of cash and shares
    fees: int
    bought: int  # notional of the day's buys
    sold: int


def build(trader_id: str, day: date, opening: Iterable[tuple[str, str, str, int]],
          entries: list[Entry], trades: list[TradeLine], fills: list[FillLine]) -> Statement:
    """`opening`: balance sums before the day; `entries`: the ledger entries of the day."""
    start = Balances.of(opening)
    before = [("cash", "", "available", start.cash_available),
              ("cash", "", "blocked", start.cash_blocked)]
    before += [("shares", s, b, n) for s, (a, k) in start.holdings.items()
               for b, n in (("available", a), ("blocked", k))]
    end = Balances.of([*before, *((e.account, e.symbol, e.bucket, e.amount) for e in entries)])
    return Statement(
        trader_id, day, start, end, trades, fills,
        [e for e in entries if e.kind in ("DEPOSIT", "WITHDRAWAL")],
        fees=sum(f.fee for f in fills),
        bought=sum(f.quantity * f.price for f in fills if f.side == "BUY"),
        sold=sum(f.quantity * f.price for f in fills if f.side == "SELL"),
    )
