"""Property tests of `core.apply`: random interleavings of requests, exchange reports,
end-of-day and redeliveries, with the ledger invariants checked after every step.

The exchange is modelled here: most reports make sense for an open trade (acks, fills at or
better than the limit, confirms), some are deliberately wrong (fills outside the limit,
overfills) and must come back as an Anomaly with the state unchanged, and some are nonsense.

The last tests break the rules on purpose (monkeypatch) and show that the machine notices.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from brokerage.codec.state import state_from_bytes, state_to_bytes
from brokerage.domain import core, executions, ledger, refdata, requests
from brokerage.domain.events import (
    AmendTrade,
    Anomaly,
    CancelTrade,
    Deposit,
    EndOfDay,
    Event,
    ExecutionReport,
    NewTrade,
    OrderCommand,
    Output,
    Request,
    Response,
    TradeUpdate,
    Withdraw,
)
from brokerage.domain.state import ShareTotals, Trade, TraderState
from brokerage.domain.types import (
    AnomalyReason,
    ExecType,
    OrderAction,
    OrderType,
    RejectReason,
    Side,
    TimeInForce,
    TradeStatus,
)

RD = refdata.load()
TRADER = "T1"
SYMBOLS = sorted(RD.instruments)
UNKNOWN_TRADE_ID = f"{TRADER}.00000000deadbeef"
NO_REF_PRICE = 5_000  # a plausible price for symbols without a reference price


# ---------------------------------------------------------------- invariants


def check_ledger(s: TraderState) -> None:
    """Everything that must hold of any state `apply` can produce."""
    t = s.totals
    assert (
        s.cash_available + s.cash_blocked + t.bought_notional - t.sold_notional
        == t.deposited - t.withdrawn - t.fees
    ), "cash conservation"
    assert s.cash_available >= 0, f"cash_available {s.cash_available}"
    assert s.cash_blocked >= 0, f"cash_blocked {s.cash_blocked}"

    open_trades = [tr for tr in s.trades.values() if not tr.status.terminal]
    assert s.cash_blocked == sum(tr.blocked_cash for tr in open_trades), "cash block sum"

    for sym in set(s.positions) | set(s.share_totals) | {tr.symbol for tr in s.trades.values()}:
        p = s.position(sym)
        st_ = s.share_totals.get(sym, ShareTotals())
        assert p.available + p.blocked == st_.deposited - st_.withdrawn + st_.bought - st_.sold, (
            f"share conservation {sym}"
        )
        assert p.available >= 0, f"{sym} available {p.available}"
        assert p.blocked >= 0, f"{sym} blocked {p.blocked}"
        assert p.blocked == sum(tr.blocked_shares for tr in open_trades if tr.symbol == sym), (
            f"{sym} share block sum"
        )

    for tr in s.trades.values():
        assert tr.blocked_cash >= 0 and tr.blocked_shares >= 0, tr
        if tr.side is Side.BUY:
            assert tr.blocked_shares == 0, tr
        else:
            assert tr.blocked_cash == 0, tr
        if tr.status.terminal:
            assert tr.blocked_cash == 0 and tr.blocked_shares == 0, f"terminal holds: {tr}"
            assert tr.pending_qty is None and tr.pending_price is None, tr
        else:
            # Every open trade holds exactly what its worst case needs.
            assert ledger.held(tr) == ledger.target_block(tr, RD), tr
        assert tr.cum_qty == sum(f.quantity for f in tr.fills), tr
        assert tr.cum_notional == sum(f.quantity * f.price for f in tr.fills), tr
        assert tr.fees == sum(f.fee for f in tr.fills) == RD.fee(tr.cum_notional), tr
        if tr.status.pending_change:
            assert tr.prior_status is not None and tr.change_request_id is not None, tr
        if tr.status is TradeStatus.PENDING_REPLACE:
            assert tr.pending_qty is not None and tr.pending_price is not None, tr

    # No trade has been evicted at the sizes these tests reach, so the totals are sums.
    trades = list(s.trades.values())
    assert t.fees == sum(tr.fees for tr in trades), "fee total"
    assert t.bought_notional == sum(tr.cum_notional for tr in trades if tr.side is Side.BUY)
    assert t.sold_notional == sum(tr.cum_notional for tr in trades if tr.side is Side.SELL)


def replay(log: list[Event]) -> TraderState:
    s = TraderState(TRADER)
    for e in log:
        s, _ = core.apply(s, e, RD)
    return s


# ---------------------------------------------------------------- strategies

def price_near(sym: str, data: st.DataObject) -> int:
    inst = RD.instruments[sym]
    ref = inst.reference_price_minor or NO_REF_PRICE
    ticks = data.draw(st.integers(-ref // 10 // inst.tick_minor, ref // 10 // inst.tick_minor))
    return max(inst.tick_minor, ref // inst.tick_minor * inst.tick_minor + ticks * inst.tick_minor)


class BrokerMachine(RuleBasedStateMachine):
    """One trader, one exchange. `self.log` is every event applied, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.state = TraderState(TRADER)
        self.log: list[Event] = []
        self.delivered: list[Event] = []  # events that did not yield an Anomaly
        self.first_response: dict[Event, Response] = {}
        self.n = 0
        self.days = 0

    # ---- plumbing

    def next_id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def apply(self, event: Event) -> list[Output]:
        before = self.state
        before_bytes = state_to_bytes(before)
        before_copy = copy.deepcopy(before)
        new, outputs = core.apply(before, event, RD)
        assert state_to_bytes(before) == before_bytes, "apply mutated its input (bytes)"
        assert before == before_copy, "apply mutated its input"
        self.log.append(event)

        anomalies = [o for o in outputs if isinstance(o, Anomaly)]
        if anomalies:
            assert isinstance(event, ExecutionReport)
            assert len(outputs) == 1, outputs
            assert new is before, "an anomaly changed the state"
        else:
            self.delivered.append(event)

        if isinstance(event, Request):
            self.check_response(event, before, new, outputs)
        elif isinstance(event, ExecutionReport) and not anomalies:
            if event.exec_id in before.exec_ids:
                assert outputs == [] and new is before
            else:
                assert len(outputs) == 1 and isinstance(outputs[0], TradeUpdate), outputs
                assert outputs[0].exec_id == event.exec_id
                assert new.trades[event.trade_id].status is outputs[0].status
        self.state = new
        return outputs

    def check_response(
        self, req: Request, before: TraderState, new: TraderState, outputs: list[Output]
    ) -> None:
        resp = outputs[0]
        assert isinstance(resp, Response), outputs
        assert resp.request_id == req.request_id and resp.trader_id == TRADER
        first = self.first_response.setdefault(req, resp)
        assert resp == first, "a redelivered request got a different response"
        orders = [o for o in outputs[1:] if isinstance(o, OrderCommand)]
        assert len(orders) == len(outputs) - 1, outputs
        if not resp.accepted:
            assert resp.reason is not None and not orders
            # A reject blocks nothing and touches no balance or trade.
            assert new.cash_available == before.cash_available
            assert new.cash_blocked == before.cash_blocked
            assert new.positions == before.positions
            assert new.trades == before.trades
            assert new.totals == before.totals
            assert new.share_totals == before.share_totals
            return
        assert resp.reason is None
        if req.request_id in before.requests:  # a redelivery: no effect, same response
            assert new is before
            return
        if isinstance(req, NewTrade):
            assert resp.status is TradeStatus.PENDING_NEW and resp.trade_id in new.trades
            assert len(orders) == 1 and orders[0].action is OrderAction.NEW
        elif isinstance(req, AmendTrade):
            assert resp.status is TradeStatus.PENDING_REPLACE
            assert len(orders) == 1 and orders[0].action is OrderAction.REPLACE
        elif isinstance(req, CancelTrade):
            assert resp.status is TradeStatus.PENDING_CANCEL
            assert len(orders) == 1 and orders[0].action is OrderAction.CANCEL
        else:
            assert not orders

    def open_trades(self) -> list[Trade]:
        return sorted(
            (t for t in self.state.trades.values() if not t.status.terminal),
            key=lambda t: t.trade_id,
        )

    def report(self, trade_id: str, kind: ExecType, qty: int = 0, price: int = 0) -> Event:
        return ExecutionReport(self.next_id("X"), TRADER, trade_id, kind, 0, qty, price)

    # ---- trader requests

    @rule(amount=st.one_of(
        st.integers(1, 5_000_000),
        st.sampled_from([0, -100, RD.max_cash_amount_minor, RD.max_cash_amount_minor + 1]),
    ))
    def deposit_cash(self, amount: int) -> None:
        self.apply(Deposit(self.next_id("R"), TRADER, amount))

    @rule(sym=st.sampled_from([*SYMBOLS, "ZZZ"]),
          amount=st.one_of(st.integers(1, 300), st.sampled_from([0, -1, RD.max_quantity + 1])))
    def deposit_shares(self, sym: str, amount: int) -> None:
        self.apply(Deposit(self.next_id("R"), TRADER, amount, sym))

    @rule(frac=st.floats(0, 1.2), extra=st.sampled_from([0, 0, 1, -5]))
    def withdraw_cash(self, frac: float, extra: int) -> None:
        amount = int(self.state.cash_available * frac) + extra
        self.apply(Withdraw(self.next_id("R"), TRADER, amount))

    @rule(sym=st.sampled_from([*SYMBOLS, "ZZZ"]), frac=st.floats(0, 1.2),
          extra=st.sampled_from([0, 0, 1, -1]))
    def withdraw_shares(self, sym: str, frac: float, extra: int) -> None:
        amount = int(self.state.position(sym).available * frac) + extra
        self.apply(Withdraw(self.next_id("R"), TRADER, amount, sym))

    @rule(data=st.data(), side=st.sampled_from(Side), order_type=st.sampled_from(OrderType),
          tif=st.sampled_from(TimeInForce))
    def new_trade(self, data: st.DataObject, side: Side, order_type: OrderType,
                  tif: TimeInForce) -> None:
        sym = data.draw(st.sampled_from([*SYMBOLS, *SYMBOLS, "ZZZ"]), label="symbol")
        inst = RD.instruments.get(sym)
        lot = inst.lot if inst else 1
        qty = data.draw(st.one_of(
            st.integers(1, 40).map(lambda k: k * lot),
            st.sampled_from([0, -lot, lot + 1, RD.max_quantity + lot, 100_000]),
        ), label="quantity")
        price: int | None = None
        if inst is not None:
            good = price_near(sym, data)
            price = good if order_type is OrderType.LIMIT else None
            price = data.draw(st.one_of(
                st.just(price), st.just(price), st.just(price),
                st.sampled_from([None, 0, -good, good + 1, good * 1000]),
            ), label="price")
        else:
            price = 10_000
        self.apply(NewTrade(self.next_id("R"), TRADER, side, sym, qty, order_type, price, tif))

    @rule(data=st.data())
    def amend(self, data: st.DataObject) -> None:
        ids = sorted(self.state.trades)
        trade_id = data.draw(st.sampled_from([*ids, *ids, UNKNOWN_TRADE_ID]), label="trade")
        trade = self.state.trades.get(trade_id)
        qty: int | None = None
        price: int | None = None
        if trade is not None:
            inst = RD.instruments[trade.symbol]
            qty = data.draw(st.one_of(
                st.none(), st.integers(-3, 6).map(lambda k: trade.quantity + k * inst.lot),
                st.just(trade.cum_qty), st.just(trade.quantity + 1),
            ), label="quantity")
            price = data.draw(st.one_of(
                st.none(),
                st.integers(-20, 20).map(lambda k: trade.block_price + k * inst.tick_minor),
                st.just(trade.block_price + 1),
            ), label="price")
        self.apply(AmendTrade(self.next_id("R"), TRADER, trade_id, qty, price))

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        ids = sorted(self.state.trades)
        trade_id = data.draw(st.sampled_from([*ids, *ids, UNKNOWN_TRADE_ID]), label="trade")
        self.apply(CancelTrade(self.next_id("R"), TRADER, trade_id))

    @precondition(lambda self: self.log and any(isinstance(e, Request) for e in self.log))
    @rule(data=st.data())
    def reuse_request_id(self, data: st.DataObject) -> None:
        earlier = [e for e in self.log if isinstance(e, Request)]
        old = data.draw(st.sampled_from(earlier), label="earlier request")
        before = self.state
        outputs = self.apply(Deposit(old.request_id, TRADER, 12_345, "DUP"))
        assert len(outputs) == 1 and isinstance(outputs[0], Response), outputs
        assert outputs[0].reason is RejectReason.DUPLICATE_REQUEST
        assert self.state is before

    # ---- the exchange

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def exchange(self, data: st.DataObject) -> None:
        """A report that makes sense for the trade as the exchange sees it."""
        trade = data.draw(st.sampled_from(self.open_trades()), label="trade")
        choices: list[Callable[[], Event | None]] = [
            lambda: self.sensible_fill(trade, data, new_terms=False),
            lambda: self.report(trade.trade_id, ExecType.CANCELED),
            lambda: self.report(trade.trade_id, ExecType.EXPIRED),
        ]
        status, prior = trade.status, trade.prior_status
        if TradeStatus.PENDING_NEW in (status, prior):
            choices += [lambda: self.report(trade.trade_id, ExecType.NEW)] * 3
            choices += [lambda: self.report(trade.trade_id, ExecType.REJECTED)]
        if status is TradeStatus.PENDING_CANCEL:
            choices += [lambda: self.report(trade.trade_id, ExecType.CANCELED),
                        lambda: self.report(trade.trade_id, ExecType.CANCEL_REJECTED)]
        if status is TradeStatus.PENDING_REPLACE:
            choices += [lambda: self.report(trade.trade_id, ExecType.REPLACED)] * 2
            choices += [lambda: self.report(trade.trade_id, ExecType.REPLACE_REJECTED),
                        lambda: self.sensible_fill(trade, data, new_terms=True)]
        if status in (TradeStatus.NEW, TradeStatus.PARTIALLY_FILLED):
            choices += [lambda: self.sensible_fill(trade, data, new_terms=False)] * 3
        event = data.draw(st.sampled_from(choices), label="report")()
        if event is None:
            return
        outputs = self.apply(event)
        assert not any(isinstance(o, Anomaly) for o in outputs), outputs

    def sensible_fill(self, trade: Trade, data: st.DataObject, new_terms: bool) -> Event | None:
        qty_total = trade.pending_qty if new_terms and trade.pending_qty else trade.quantity
        limit = trade.pending_price if new_terms and trade.pending_price else trade.block_price
        rest = qty_total - trade.cum_qty
        if rest <= 0:
            return None
        qty = data.draw(st.one_of(st.just(rest), st.integers(1, rest)), label="fill qty")
        tick = RD.instruments[trade.symbol].tick_minor
        better = data.draw(st.one_of(st.just(0), st.integers(0, 200)), label="improvement")
        if trade.side is Side.BUY:
            price = max(1, limit - better * tick)
        else:
            price = limit + better * tick
        return self.report(trade.trade_id, ExecType.TRADE, qty, price)

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data(), worse=st.integers(1, 500))
    def fill_outside_limit(self, data: st.DataObject, worse: int) -> None:
        trade = data.draw(st.sampled_from(self.open_trades()), label="trade")
        prices = [trade.block_price] + ([trade.pending_price] if trade.pending_price else [])
        price = max(prices) + worse if trade.side is Side.BUY else min(prices) - worse
        rest = max(trade.quantity, trade.pending_qty or 0) - trade.cum_qty
        before = self.state
        outputs = self.apply(self.report(trade.trade_id, ExecType.TRADE, max(1, rest), price))
        assert len(outputs) == 1 and isinstance(outputs[0], Anomaly), outputs
        assert outputs[0].reason is AnomalyReason.FILL_OUTSIDE_LIMIT
        assert self.state is before

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data(), extra=st.integers(1, 50))
    def overfill(self, data: st.DataObject, extra: int) -> None:
        trade = data.draw(st.sampled_from(self.open_trades()), label="trade")
        rest = max(trade.quantity, trade.pending_qty or 0) - trade.cum_qty
        before = self.state
        outputs = self.apply(
            self.report(trade.trade_id, ExecType.TRADE, rest + extra, trade.block_price)
        )
        assert len(outputs) == 1 and isinstance(outputs[0], Anomaly), outputs
        assert outputs[0].reason is AnomalyReason.OVERFILL
        assert self.state is before

    @rule(data=st.data(), kind=st.sampled_from(ExecType), qty=st.integers(-1, 60),
          price=st.integers(-1, 60_000))
    def nonsense(self, data: st.DataObject, kind: ExecType, qty: int, price: int) -> None:
        """Any report on any trade, terminal or unknown: whatever happens, the invariants hold."""
        ids = sorted(self.state.trades)
        trade_id = data.draw(st.sampled_from([*ids, UNKNOWN_TRADE_ID]), label="trade")
        self.apply(self.report(trade_id, kind, qty, price))

    @precondition(lambda self: self.days < 8)
    @rule()
    def end_of_day(self) -> None:
        self.days += 1
        self.apply(EndOfDay(TRADER, f"2024-01-{self.days:02d}"))

    @precondition(lambda self: self.log)
    @rule(data=st.data())
    def redeliver(self, data: st.DataObject) -> None:
        """Any earlier event again, request or report, applied for real."""
        self.apply(data.draw(st.sampled_from(self.log), label="redelivered"))

    # ---- after every step

    @invariant()
    def ledger_holds(self) -> None:
        check_ledger(self.state)

    @invariant()
    def redelivery_changes_nothing(self) -> None:
        current = state_to_bytes(self.state)
        for event in self.delivered:
            again, _ = core.apply(self.state, event, RD)
            assert again == self.state, f"redelivered {event} changed the state"
            assert state_to_bytes(self.state) == current

    @invariant()
    def replay_is_identical(self) -> None:
        replayed = replay(self.log)
        assert replayed == self.state, "replaying the log gave another state"
        assert state_to_bytes(replayed) == state_to_bytes(self.state)

    @invariant()
    def codec_round_trip(self) -> None:
        data = state_to_bytes(self.state)
        assert state_from_bytes(data) == self.state
        assert state_to_bytes(state_from_bytes(data)) == data


FAST = dict(deadline=None, suppress_health_check=list(HealthCheck))

BrokerMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=50, **FAST)
TestBroker = BrokerMachine.TestCase


# ---------------------------------------------------------------- mutation proof
#
# Each test breaks one rule the invariants rely on and shows the machine above fails.
# Generation only (no shrinking) and a fixed seed keep them quick and deterministic.

MUTANT_SETTINGS = settings(
    max_examples=60, stateful_step_count=40, derandomize=True, database=None,
    phases=[Phase.generate], print_blob=False, **FAST,
)


def machine_fails() -> BaseException:
    with pytest.raises(BaseException) as caught:  # noqa: B017 - any failure will do
        run_state_machine_as_test(BrokerMachine, settings=MUTANT_SETTINGS)
    assert not isinstance(caught.value, KeyboardInterrupt)
    return caught.value


def test_mutant_forgetting_request_ids_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The duplicate-request check sees nothing: a redelivered deposit is booked twice."""
    original = core._request

    def forgetful(state: TraderState, req: Request, rd: refdata.RefData):  # type: ignore[no-untyped-def]
        new, outputs = original(replace(state, requests={}), req, rd)
        new.requests = {**state.requests, **new.requests}
        return new, outputs

    monkeypatch.setattr(core, "_request", forgetful)
    machine_fails()


def test_mutant_forgetting_exec_ids_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Execution ids are not remembered: a redelivered fill settles twice."""
    monkeypatch.setattr(core, "MAX_REMEMBERED_EXECUTIONS", 0)
    machine_fails()


def test_mutant_fill_dropping_a_unit_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """settle_fill charges one unit less than it books as fees."""
    original = ledger.settle_fill

    def leaky(state: TraderState, trade: Trade, rd: refdata.RefData, qty: int, price: int) -> Trade:
        trade = original(state, trade, rd, qty, price)
        state.totals = replace(state.totals, fees=state.totals.fees + 1)
        return trade

    monkeypatch.setattr(executions, "settle_fill", leaky)
    machine_fails()


def test_mutant_rebalance_off_by_one_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """rebalance releases one unit more than the trade gives up when lowering a block."""
    original = ledger.rebalance

    def generous(state: TraderState, trade: Trade, target: int) -> Trade:
        lowering = target < ledger.held(trade)
        trade = original(state, trade, target)
        if lowering and trade.side is Side.BUY:
            state.cash_available += 1
        return trade

    for module in (executions, requests, core):
        monkeypatch.setattr(module, "rebalance", generous)
    machine_fails()


def test_mutant_mutating_input_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply works on the caller's state instead of a private copy."""
    monkeypatch.setattr(TraderState, "copy", lambda self: self)
    machine_fails()


def test_mutant_accepting_fills_outside_the_limit_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fill price check is gone: a buy can be filled above its limit."""
    original = executions._fill

    def lax(trade: Trade, rep: ExecutionReport) -> Trade | str:
        return original(trade, replace(rep, last_price=1 if trade.side is Side.BUY else 10**8))

    monkeypatch.setattr(executions, "_fill", lax)
    machine_fails()
