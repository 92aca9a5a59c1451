"""The window of remembered request ids keeps accepted deposits and withdrawals longer than
trade requests: a client's retry of a money move, even after hundreds of newer trade
requests, is answered from memory and moves no money again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokerage.codec import state_change
from brokerage.domain import core, refdata
from brokerage.domain.events import Deposit, NewTrade, Request, Response, Withdraw
from brokerage.domain.state import TraderState
from brokerage.domain.types import OrderType, Side

RD = refdata.load()
T = "T1"


def send(state: TraderState, req: Request) -> tuple[TraderState, Response]:
    state, out = core.apply(state, req, RD)
    assert isinstance(out[0], Response)
    return state, out[0]


def refused_trade(rid: str) -> NewTrade:
    return NewTrade(rid, T, Side.BUY, "NOSUCH", 1, OrderType.LIMIT, 100)


def test_a_retried_deposit_after_many_trade_requests_moves_no_money() -> None:
    s, first = send(TraderState(T), Deposit("d1", T, 10_000))
    s, _ = send(s, Withdraw("w1", T, 3_000))
    for i in range(core.MAX_REMEMBERED_REQUESTS * 2):  # FIFO would forget both
        s, r = send(s, refused_trade(f"n{i}"))
        assert not r.accepted
    assert len(s.requests) == core.MAX_REMEMBERED_REQUESTS
    s, again = send(s, Deposit("d1", T, 10_000))
    s, _ = send(s, Withdraw("w1", T, 3_000))
    assert again == first and s.cash_available == 7_000
    assert s.totals.deposited == 10_000 and s.totals.withdrawn == 3_000


def test_money_moves_are_forgotten_oldest_first_past_their_share() -> None:
    s = TraderState(T)
    moves = core.MAX_REMEMBERED_MONEY_MOVES + 5
    for i in range(moves):
        s, _ = send(s, Deposit(f"d{i}", T, 1))
    for i in range(core.MAX_REMEMBERED_REQUESTS):
        s, _ = send(s, refused_trade(f"n{i}"))
    kept = [k for k in s.requests if k.startswith("d")]
    assert kept == [f"d{i}" for i in range(moves - core.MAX_REMEMBERED_MONEY_MOVES, moves)]


EVENT = st.one_of(
    st.tuples(st.just("deposit"), st.integers(1, 50)),
    st.tuples(st.just("withdraw"), st.integers(1, 400)),  # often refused: not a money move
    st.tuples(st.just("trade"), st.just(0)),  # refused: unknown symbol
    st.tuples(st.just("again"), st.integers(0, 10_000)),  # an earlier id, resent
)


@given(st.lists(EVENT, max_size=80))
def test_window_bounds_and_what_it_guarantees(steps: list[tuple[str, int]]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "MAX_REMEMBERED_REQUESTS", 10)
        mp.setattr(core, "MAX_REMEMBERED_MONEY_MOVES", 3)
        s, ids, money, sent = TraderState(T), [], [], []
        for kind, n in steps:
            if kind == "again" and sent:
                req = sent[n % len(sent)]
            else:
                rid = f"r{len(sent)}"
                req = (Deposit(rid, T, n) if kind == "deposit" else
                       Withdraw(rid, T, n) if kind == "withdraw" else refused_trade(rid))
            before = s
            s, resp = send(s, req)
            rid = req.request_id
            if req not in sent:
                sent.append(req)
            if rid not in before.requests:  # new, or forgotten: remembered as the newest
                ids = [i for i in ids if i != rid] + [rid]
                money = [i for i in money if i != rid] + ([rid] if resp.accepted else [])
            change = state_change.diff(before, s)  # the stored change rebuilds the window
            assert change is not None
            rebuilt = before.copy()
            state_change.apply(rebuilt, change)
            assert list(rebuilt.requests) == list(s.requests)
            assert len(s.requests) <= 10
            assert set(ids[-(10 - 3):]) <= set(s.requests)  # the last ids of any kind
            assert set(money[-3:]) <= set(s.requests)  # the last accepted money moves
            assert list(s.requests) == [i for i in ids if i in s.requests]  # in order
