"""Ledger entries for one applied event: the exact change of every balance, split by cause.

Pure. The change of each balance is the difference of the trader's state before and after;
the parts the event names (a deposit's amount, a fill's notional, shares and fee) are
booked as such, and what is left must be a move between available and blocked of the same
asset (a block or a release), so every entry is exact and the sums equal the state."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from brokerage.domain.events import Deposit, Event, Output, Response, TradeUpdate, Withdraw
from brokerage.domain.state import Trade, TraderState
from brokerage.domain.types import Side

CASH = ""  # the symbol of the cash account
Asset = tuple[str, str]  # (account, symbol)
Bucket = tuple[str, str, str]  # (account, symbol, "available" | "blocked")


@dataclass(frozen=True, slots=True)
class Entry:
    account: str  # "cash" | "shares"
    symbol: str  # CASH for cash
    bucket: str  # "available" | "blocked"
    kind: str  # DEPOSIT WITHDRAWAL BLOCK RELEASE FILL FEE ADJUSTMENT
    amount: int
    trade_id: str | None


def balances(s: TraderState) -> dict[Bucket, int]:
    out = {("cash", CASH, "available"): s.cash_available, ("cash", CASH, "blocked"): s.cash_blocked}
    for symbol, pos in s.positions.items():
        out[("shares", symbol, "available")] = pos.available
        out[("shares", symbol, "blocked")] = pos.blocked
    return out


def entries(old: TraderState, new: TraderState, event: Event, outputs: list[Output],
            trades: dict[str, Trade]) -> list[Entry]:
    """`trades`: each trade the outputs name, as the event left it (before any eviction)."""
    before, after = balances(old), balances(new)
    left: dict[Bucket, int] = defaultdict(int)
    for b in before.keys() | after.keys():
        left[b] = after.get(b, 0) - before.get(b, 0)
    booked = list(_named(event, outputs, trades))
    for e in booked:
        left[(e.account, e.symbol, e.bucket)] -= e.amount
    trade_ids = {o.trade_id for o in outputs if isinstance(o, Response | TradeUpdate)} - {None}
    trade_id = next(iter(trade_ids)) if len(trade_ids) == 1 else None
    for account, symbol in sorted({(a, s) for a, s, _ in left}):
        avail, blocked = left[(account, symbol, "available")], left[(account, symbol, "blocked")]
        if avail + blocked != 0:  # never expected: the rules conserve every asset
            booked += [Entry(account, symbol, b, "ADJUSTMENT", n, trade_id)
                       for b, n in (("available", avail), ("blocked", blocked)) if n]
        elif blocked:
            kind = "BLOCK" if blocked > 0 else "RELEASE"
            booked += [Entry(account, symbol, "available", kind, avail, trade_id),
                       Entry(account, symbol, "blocked", kind, blocked, trade_id)]
    return [e for e in booked if e.amount]


def _named(event: Event, outputs: list[Output], trades: dict[str, Trade]) -> Iterator[Entry]:
    if isinstance(event, Deposit | Withdraw):
        if outputs and isinstance(outputs[0], Response) and outputs[0].accepted:
            sign, kind = (1, "DEPOSIT") if isinstance(event, Deposit) else (-1, "WITHDRAWAL")
            account = "cash" if event.symbol is None else "shares"
            yield Entry(account, event.symbol or CASH, "available", kind, sign * event.amount,
                        None)
        return
    for o in outputs:
        if not isinstance(o, TradeUpdate) or o.last_qty <= 0:
            continue
        t = trades[o.trade_id]
        notional = o.last_qty * o.last_price
        if t.side is Side.BUY:  # paid from the block; the shares arrive available
            yield Entry("cash", CASH, "blocked", "FILL", -notional, t.trade_id)
            yield Entry("cash", CASH, "blocked", "FEE", -o.fee, t.trade_id)
            yield Entry("shares", t.symbol, "available", "FILL", o.last_qty, t.trade_id)
        else:  # the blocked shares leave; the proceeds arrive available, less the fee
            yield Entry("shares", t.symbol, "blocked", "FILL", -o.last_qty, t.trade_id)
            yield Entry("cash", CASH, "available", "FILL", notional, t.trade_id)
            yield Entry("cash", CASH, "available", "FEE", -o.fee, t.trade_id)
