"""More mutation proof for the property machine in test_properties.py: one broken rule each,
for the invariants the first set does not target (shares, non-negative balances, terminal
trades, replay determinism)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from brokerage.domain import executions, ledger, requests, validation
from brokerage.domain.state import Position, Trade, TraderState
from brokerage.domain.types import Side

from .test_properties import machine_fails


def test_mutant_sell_fill_keeping_a_share_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sell's fill leaves one share available that was sold."""
    original = ledger.settle_fill

    def leaky(state: TraderState, trade: Trade, rd: Any, qty: int, price: int) -> Trade:
        trade = original(state, trade, rd, qty, price)
        if trade.side is Side.SELL:
            p = state.position(trade.symbol)
            state.positions[trade.symbol] = Position(p.available + 1, p.blocked)
        return trade

    monkeypatch.setattr(executions, "settle_fill", leaky)
    machine_fails("share conservation")


def test_mutant_withdraw_beyond_available_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """A withdrawal is no longer checked against what is available."""
    original = validation.check_wallet

    def lax(req: Any, state: TraderState, rd: Any) -> Any:
        problem = original(req, state, rd)
        return None if problem and problem[0].name.startswith("INSUFFICIENT") else problem

    monkeypatch.setattr(requests.v, "check_wallet", lax)
    machine_fails("available", "conservation")


def test_mutant_trade_ids_from_a_counter_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trade ids depend on how often the rules ran, not on the input alone."""
    calls = itertools.count()
    original = requests.trade_id_for
    monkeypatch.setattr(requests, "trade_id_for",
                        lambda trader, rid: original(trader, f"{rid}-{next(calls)}"))
    machine_fails("replaying the log", "redelivered", "answered otherwise")
