"""Over a long random workload, the ledger entries add up to every trader's balances."""

from __future__ import annotations

import random

from brokerage.domain import events as ev
from brokerage.domain.refdata import load
from brokerage.domain.state import Trade, TraderState
from brokerage.domain.types import ExecType, OrderType, Side, TimeInForce, TradeStatus
from brokerage.reporting.reconcile import live_balances
from brokerage.reporting.statement import Balances
from connectors.sink.apply import apply_batch

from .inputs import EXECUTIONS, Log

R = load()
REF = {"AAPL": 19_000, "MSFT": 41_000}


def _request(rng: random.Random, i: int, t: str, st: TraderState) -> ev.Request:
    roll, sym = rng.random(), rng.choice(list(REF))
    if roll < 0.2:
        return ev.Deposit(f"d{i}", t, rng.randint(1, 5_000_000), rng.choice([None, sym]))
    if roll < 0.3:
        return ev.Withdraw(f"w{i}", t, rng.randint(1, 500_000), rng.choice([None, sym]))
    live = [x for x in st.trades.values() if not x.status.terminal]
    if live and roll < 0.45:
        target = rng.choice(live)
        if rng.random() < 0.5:
            return ev.CancelTrade(f"c{i}", t, target.trade_id)
        return ev.AmendTrade(f"a{i}", t, target.trade_id, rng.randint(1, 30),
                             REF[target.symbol] + rng.randint(-500, 500))
    market = rng.random() < 0.2
    return ev.NewTrade(f"n{i}", t, rng.choice([Side.BUY, Side.SELL]), sym, rng.randint(1, 30),
                       OrderType.MARKET if market else OrderType.LIMIT,
                       None if market else REF[sym] + rng.randint(-500, 500),
                       rng.choice([TimeInForce.DAY, TimeInForce.GTC]))


def _report(rng: random.Random, i: int, t: str, x: Trade) -> ev.ExecutionReport:
    s = x.status
    if s is TradeStatus.PENDING_CANCEL:
        kind = rng.choice([ExecType.CANCELED, ExecType.CANCEL_REJECTED, ExecType.TRADE])
    elif s is TradeStatus.PENDING_REPLACE:
        kind = rng.choice([ExecType.REPLACED, ExecType.REPLACE_REJECTED, ExecType.TRADE])
    elif s is TradeStatus.PENDING_NEW:
        kind = rng.choice([ExecType.NEW, ExecType.REJECTED, ExecType.TRADE])
    else:
        kind = rng.choice([ExecType.TRADE, ExecType.TRADE, ExecType.EXPIRED])
    qty = rng.randint(1, max(1, x.quantity - x.cum_qty)) if kind is ExecType.TRADE else 0
    price = x.block_price - rng.randint(0, 50) if x.side is Side.BUY else \
        x.block_price + rng.randint(0, 50)
    return ev.ExecutionReport(f"E{i}", t, x.trade_id, kind, x.version, qty,
                              price if qty else 0)


def test_ledger_sums_equal_the_state_balances() -> None:
    rng, log = random.Random(11), Log()
    states: dict[str, TraderState] = {}
    rows: list[tuple[object, ...]] = []
    traders = ["ann", "ben", "cid"]
    for i in range(1500):
        t = rng.choice(traders)
        st = states.get(t) or TraderState(t)
        live = [x for x in st.trades.values() if not x.status.terminal]
        event: ev.Request | ev.ExecutionReport
        if live and rng.random() < 0.5:
            event = _report(rng, i, t, rng.choice(live))
        else:
            event = _request(rng, i, t, st)
        batch = apply_batch([log.add(event)], states, R, EXECUTIONS)
        states.update({k: s for k, (s, _) in batch.states.items()})
        rows += batch.rows.ledger
    assert not [r for r in rows if r[5] == "ADJUSTMENT"]
    kinds = {r[5] for r in rows}
    assert {"DEPOSIT", "WITHDRAWAL", "BLOCK", "RELEASE", "FILL", "FEE"} <= kinds
    for t in traders:
        sums = [(str(r[2]), str(r[3]), str(r[4]), int(str(r[6]))) for r in rows if r[0] == t]
        assert Balances.of(sums) == live_balances(states[t]), t
