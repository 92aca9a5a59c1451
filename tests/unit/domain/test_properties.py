"""Property tests of `core.apply`: random interleavings of requests, exchange reports,
end-of-day and redeliveries, with the ledger invariants checked after every step.

The exchange is modelled here: most reports make sense for an open trade (acks, fills at or
better than the limit, confirms), some are deliberately wrong (fills outside the limit,
overfills) and must come back as an Anomaly with the state unchanged, and some are nonsense.

The last tests break the rules on purpose (monkeypatch) and show that the machine notices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from brokerage.codec.state import reference_bytes, state_from_bytes, state_to_bytes
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
from brokerage.domain.state import (
    MAX_HISTORY,
    ShareTotals,
    Trade,
    TraderState,
    Trades,
    closed_count,
)
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
T0 = 1_700_000_000_000  # event times, ms


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


def snapshot(s: TraderState) -> TraderState:
    """A copy with its own containers (everything inside them is frozen), made without
    TraderState.copy so that a broken copy cannot hide a mutation."""
    return replace(
        s, positions=dict(s.positions), trades=dict(s.trades), share_totals=dict(s.share_totals),
        requests=dict(s.requests), exec_ids=dict(s.exec_ids),
    )


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
        before_copy = snapshot(before)
        if event.at_ms == 0:  # a fresh event: give it its (Kafka) time
            event = replace(event, at_ms=T0 + 1000 * len(self.log))
        new, outputs = core.apply(before, event, RD)
        assert state_to_bytes(before) == before_bytes, "apply mutated its input (bytes)"
        assert state_to_bytes(new) == reference_bytes(new), "the fast state writer diverged"
        assert before == before_copy, "apply mutated its input"
        # The batch's path: the same rules on a state it owns, changed in place.
        owned = before.copy()
        changed, owned_outputs = core.apply_in_place(owned, event, RD)
        assert owned_outputs == outputs, "apply_in_place answered otherwise"
        assert owned == (new if changed else before), "apply_in_place left another state"
        assert changed == (new is not before), "apply_in_place misreported a change"
        assert closed_count(new.trades) == sum(t.status.terminal for t in new.trades.values()), \
            "closed count drifted"
        self.log.append(event)

        anomalies = [o for o in outputs if isinstance(o, Anomaly)]
        if anomalies:
            assert isinstance(event, ExecutionReport)
            assert len(outputs) == 1, outputs
            assert new is before, "an anomaly changed the state"
        else:
            self.delivered.append(event)

        check_ledger(new)
        if not isinstance(event, Request):
            # The exchange and the calendar only ever spend from blocks or release them:
            # nothing is taken from what the trader has available without a checked request.
            assert new.cash_available >= before.cash_available, "a report took available cash"
            for sym, pos in before.positions.items():
                assert new.position(sym).available >= pos.available, f"a report took {sym}"
        if isinstance(event, Request):
            self.check_response(event, before, new, outputs)
        elif isinstance(event, ExecutionReport) and not anomalies:
            if event.exec_id in before.exec_ids:
                assert outputs == [] and new is before
            elif not outputs:  # a late refusal of a change the trade's end overtook
                assert event.exec_type in (ExecType.CANCEL_REJECTED, ExecType.REPLACE_REJECTED)
                assert before.trades[event.trade_id].status.terminal and new is before
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
            old = before.trades[req.trade_id].time_in_force
            wanted = req.time_in_force or old
            assert orders[0].time_in_force is wanted
            assert orders[0].new_time_in_force is (None if wanted is old else wanted)
            assert new.trades[req.trade_id].pending_time_in_force is orders[0].new_time_in_force
            if wanted is not old:  # only the resting ones change into each other
                assert {old, wanted} == {TimeInForce.DAY, TimeInForce.GTC}
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

    @initialize(
        cash=st.one_of(st.sampled_from([10_000_000, 0, 300_000]), st.integers(0, 10**8)),
        shares=st.dictionaries(st.sampled_from(SYMBOLS), st.integers(1, 50)),
    )
    def fund(self, cash: int, shares: dict[str, int]) -> None:
        if cash:
            self.apply(Deposit(self.next_id("R"), TRADER, cash))
        for sym, lots in sorted(shares.items()):
            self.apply(Deposit(self.next_id("R"), TRADER, lots * RD.instruments[sym].lot, sym))

    @rule(data=st.data(), kind=st.sampled_from(["deposit", "withdraw"]),
          sym=st.sampled_from([None, None, None, *SYMBOLS, "ZZZ"]))
    def wallet(self, data: st.DataObject, kind: str, sym: str | None) -> None:
        if kind == "deposit":
            good = st.integers(1, 5_000_000) if sym is None else st.integers(1, 300)
            limit = RD.max_cash_amount_minor if sym is None else RD.max_quantity
            bad = st.sampled_from([0, -100, limit + 1, limit])
            amount = data.draw(st.one_of(good, good, good, bad), label="amount")
            self.apply(Deposit(self.next_id("R"), TRADER, amount, sym))
            return
        have = self.state.cash_available if sym is None else self.state.position(sym).available
        frac = data.draw(st.one_of(st.just(1.0), st.floats(0, 1.2)), label="fraction")
        extra = data.draw(st.sampled_from([0, 0, 0, 1, -1]), label="extra")
        self.apply(Withdraw(self.next_id("R"), TRADER, int(have * frac) + extra, sym))

    def new_trade(self, data: st.DataObject, valid: bool) -> None:
        side = data.draw(st.sampled_from(Side), label="side")
        order_type = data.draw(st.sampled_from(OrderType), label="order type")
        tif = data.draw(st.sampled_from(TimeInForce), label="tif")
        sym = data.draw(st.sampled_from(SYMBOLS if valid else [*SYMBOLS, "ZZZ"]), label="symbol")
        inst = RD.instruments.get(sym)
        lot = inst.lot if inst else 1
        qty = data.draw(st.integers(1, 12), label="lots") * lot
        price: int | None = None
        if inst is not None and order_type is OrderType.LIMIT:
            price = price_near(sym, data)
        if not valid:
            qty = data.draw(
                st.sampled_from([qty, 0, -lot, lot + 1, RD.max_quantity + lot, 100_000]),
                label="bad quantity",
            )
            good = price or 10_000
            price = data.draw(
                st.sampled_from([price, None, 0, -good, good + 1, good * 1000]), label="bad price"
            )
        self.apply(NewTrade(self.next_id("R"), TRADER, side, sym, qty, order_type, price, tif))

    @rule(data=st.data())
    def new_valid_trade(self, data: st.DataObject) -> None:
        self.new_trade(data, valid=True)

    # Hypothesis picks among the applicable rules evenly: the numbered copies of a rule
    # (and amend_races_fill) weight the mix towards trading and the exchange's answers.
    @rule(data=st.data())
    def new_valid_trade_2(self, data: st.DataObject) -> None:
        self.new_trade(data, valid=True)

    @rule(data=st.data())
    def new_valid_trade_3(self, data: st.DataObject) -> None:
        self.new_trade(data, valid=True)

    @rule(data=st.data())
    def new_dubious_trade(self, data: st.DataObject) -> None:
        self.new_trade(data, valid=False)

    def pick_trade(self, data: st.DataObject) -> str:
        """Mostly a working trade (open, nothing pending: what a client would change);
        sometimes any open one, a closed one, or one that does not exist."""
        working = [t.trade_id for t in self.open_trades() if not t.status.pending_change]
        open_ids = [t.trade_id for t in self.open_trades()]
        all_ids = sorted(self.state.trades)
        kind = data.draw(st.sampled_from(["working"] * 5 + ["open", "any", "unknown"]),
                         label="which trade")
        for wanted, ids in (("working", working), ("open", open_ids), ("any", all_ids)):
            if kind == wanted and ids:
                return data.draw(st.sampled_from(ids), label="trade")
            if kind == wanted:
                kind = "any"
        return UNKNOWN_TRADE_ID

    def amend_trade(self, data: st.DataObject, trade_id: str, what: str | None = None) -> None:
        trade = self.state.trades.get(trade_id)
        qty: int | None = None
        price: int | None = None
        if trade is not None:
            inst = RD.instruments[trade.symbol]
            span = max(1, trade.block_price // 4 // inst.tick_minor)
            what = what or data.draw(
                st.sampled_from(["both", "both", "qty", "price", "tif", "odd"]), label="what")
            # Nonzero steps: an amend that changes nothing is the "odd" case's business.
            lots = data.draw(st.sampled_from([1, -1, 1]), label="sign") * data.draw(
                st.integers(1, 10), label="lots")
            ticks = data.draw(st.sampled_from([-1, 1]), label="sign") * data.draw(
                st.integers(1, span), label="ticks")
            if what in ("both", "qty"):
                qty = trade.quantity + lots * inst.lot
            market = trade.order_type is OrderType.MARKET  # takes a price only to be refused
            if what == "price" or (what == "both" and not market):
                price = trade.block_price + ticks * inst.tick_minor
            if what == "odd":
                qty, price = data.draw(st.sampled_from([
                    (None, None), (trade.quantity, trade.block_price), (trade.cum_qty, None),
                    (trade.quantity + 1, None), (None, trade.block_price + 1), (None, 0),
                ]), label="odd amend")
        # Often none; otherwise mostly a legal change (DAY <-> GTC), sometimes not.
        day, gtc = TimeInForce.DAY, TimeInForce.GTC
        tif = data.draw(st.sampled_from([None, None, day, gtc, day, gtc, *TimeInForce]),
                        label="tif")
        if what == "tif" or (qty is None and price is None and tif is None and what != "odd"):
            tif = data.draw(st.sampled_from(list(TimeInForce)), label="tif only")
        self.apply(AmendTrade(self.next_id("R"), TRADER, trade_id, qty, price,
                              time_in_force=tif))

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def amend(self, data: st.DataObject) -> None:
        self.amend_trade(data, self.pick_trade(data))

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        self.apply(CancelTrade(self.next_id("R"), TRADER, self.pick_trade(data)))

    @precondition(lambda self: self.working_trades())
    @rule(data=st.data())
    def amend_races_fill(self, data: st.DataObject) -> None:
        self.change_races_fill(data, "amend")

    def working_trades(self) -> list[Trade]:
        return [t for t in self.open_trades() if not t.status.pending_change]

    @precondition(lambda self: self.working_trades())
    @rule(data=st.data(), change=st.sampled_from(["amend", "amend", "cancel"]))
    def change_races_fill(self, data: st.DataObject, change: str) -> None:
        """A race: the exchange fills the old order while an amend or a cancel is on its way,
        then answers the change (or not yet)."""
        trade_id = data.draw(st.sampled_from(self.working_trades()), label="trade").trade_id
        if self.state.trades[trade_id].status is TradeStatus.PENDING_NEW:
            self.apply(self.report(trade_id, ExecType.NEW))
        if change == "amend":
            self.amend_trade(data, trade_id, what="both")
        else:
            self.apply(CancelTrade(self.next_id("R"), TRADER, trade_id))
        trade = self.state.trades.get(trade_id)
        if trade is None or not trade.status.pending_change:
            return
        fill = self.sensible_fill(trade, data, new_terms=False)
        if fill is not None:
            outputs = self.apply(fill)
            assert not any(isinstance(o, Anomaly) for o in outputs), outputs
        trade = self.state.trades[trade_id]
        if trade.status is TradeStatus.PENDING_REPLACE:
            answers = [ExecType.REPLACED, ExecType.REPLACE_REJECTED, None]
        elif trade.status is TradeStatus.PENDING_CANCEL:
            answers = [ExecType.CANCELED, ExecType.CANCEL_REJECTED, None]
        else:
            return
        answer = data.draw(st.sampled_from(answers), label="answer")
        if answer is not None:
            outputs = self.apply(self.report(trade_id, answer))
            assert not any(isinstance(o, Anomaly) for o in outputs), outputs

    # ---- the exchange

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def exchange(self, data: st.DataObject) -> None:
        """A report that makes sense for the trade as the exchange sees it."""
        trade = data.draw(st.sampled_from(self.open_trades()), label="trade")
        tid = trade.trade_id

        def fill(new_terms: bool = False) -> Callable[[], Event | None]:
            return lambda: self.sensible_fill(trade, data, new_terms)

        def plain(kind: ExecType) -> Callable[[], Event | None]:
            return lambda: self.report(tid, kind)

        status, prior = trade.status, trade.prior_status
        # Unsolicited cancels (exchange housekeeping) and expiries (IOC/FOK, no liquidity).
        choices = [plain(ExecType.CANCELED), plain(ExecType.EXPIRED)]
        if TradeStatus.PENDING_NEW in (status, prior):
            choices += [plain(ExecType.NEW)] * 6 + [plain(ExecType.REJECTED), fill()]
        else:
            choices += [fill()] * 6
        if status is TradeStatus.PENDING_CANCEL:
            choices += [plain(ExecType.CANCELED)] * 3 + [plain(ExecType.CANCEL_REJECTED)] * 2
        if status is TradeStatus.PENDING_REPLACE:
            choices += [plain(ExecType.REPLACED)] * 4 + [plain(ExecType.REPLACE_REJECTED)] * 2
            choices += [fill(new_terms=True)] * 2
        event = data.draw(st.sampled_from(choices), label="report")()
        if event is None:
            return
        outputs = self.apply(event)
        assert not any(isinstance(o, Anomaly) for o in outputs), outputs

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def exchange_2(self, data: st.DataObject) -> None:
        self.exchange(data)

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def exchange_3(self, data: st.DataObject) -> None:
        self.exchange(data)

    @precondition(lambda self: self.open_trades())
    @rule(data=st.data())
    def exchange_4(self, data: st.DataObject) -> None:
        self.exchange(data)

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
            price = max(tick, limit - better * tick)
        else:
            price = limit + better * tick
        return self.report(trade.trade_id, ExecType.TRADE, qty, price)

    @precondition(lambda self: self.state.trades)
    @rule(data=st.data(), kind=st.sampled_from(["outside", "overfill", "nonsense"]))
    def bad_report(self, data: st.DataObject, kind: str) -> None:
        """Reports a sane exchange would not send. Outside-limit fills and overfills are
        refused; anything else may or may not be, but the invariants hold either way."""
        trades = self.open_trades()
        if kind == "nonsense" or not trades:
            trade_id = self.pick_trade(data)
            exec_type = data.draw(st.sampled_from(ExecType), label="exec type")
            qty = data.draw(st.integers(-1, 60), label="qty")
            price = data.draw(st.integers(-1, 60_000), label="price")
            self.apply(self.report(trade_id, exec_type, qty, price))
            return
        trade = data.draw(st.sampled_from(trades), label="trade")
        prices = [trade.block_price] + ([trade.pending_price] if trade.pending_price else [])
        rest = max(trade.quantity, trade.pending_qty or 0) - trade.cum_qty
        if kind == "outside":
            worse = data.draw(st.integers(1, 500), label="worse by")
            price = max(prices) + worse if trade.side is Side.BUY else min(prices) - worse
            qty, expected = data.draw(st.integers(1, rest), label="qty"), "FILL_OUTSIDE_LIMIT"
        else:
            price, expected = trade.block_price, "OVERFILL"
            qty = rest + data.draw(st.integers(1, 50), label="extra")
        before = self.state
        outputs = self.apply(self.report(trade.trade_id, ExecType.TRADE, qty, price))
        assert len(outputs) == 1 and isinstance(outputs[0], Anomaly), f"accepted: {outputs}"
        assert outputs[0].reason is AnomalyReason(expected)
        assert self.state is before

    @precondition(lambda self: self.days < 4 and any(
        t.time_in_force is TimeInForce.DAY for t in self.open_trades()))
    @rule()
    def end_of_day(self) -> None:
        self.days += 1
        self.apply(EndOfDay(TRADER, f"2024-01-{self.days:02d}"))

    @precondition(lambda self: self.log)
    @rule(data=st.data(), how=st.sampled_from(["same", "same", "later", "other body"]))
    def redeliver(self, data: st.DataObject, how: str) -> None:
        """Any earlier event again, request or report, applied for real, as it was or resent
        later (another time stamp, same identity); or an earlier request id reused with
        another body, which must be refused and change nothing."""
        old = data.draw(st.sampled_from(self.log), label="earlier event")
        if how == "same":
            self.apply(old)
            return
        if how == "later" or not isinstance(old, Request):
            self.apply(replace(old, at_ms=old.at_ms + 1))
            return
        before = self.state
        outputs = self.apply(Deposit(old.request_id, TRADER, 12_345, "DUP"))
        assert len(outputs) == 1 and isinstance(outputs[0], Response), outputs
        assert outputs[0].reason is RejectReason.DUPLICATE_REQUEST
        assert self.state is before

    # ---- after every step

    @invariant()
    def ledger_holds(self) -> None:
        check_ledger(self.state)

    @invariant()
    def redelivery_changes_nothing(self) -> None:
        current = state_to_bytes(self.state)
        for event in self.delivered:
            again, _ = core.apply(self.state, event, RD)
            assert again is self.state or again == self.state, f"redelivered {event} changed it"
        assert state_to_bytes(self.state) == current, "a redelivery mutated the state"

    @invariant()
    def versions_are_consistent(self) -> None:
        """A trade's remembered versions chain into its live one: each was replaced by the
        next, and a time in force only ever changed between DAY and GTC."""
        for t in self.state.trades.values():
            assert len(t.superseded) == min(t.version, MAX_HISTORY)
            chain = [v.order_id for v in t.superseded] + [t.order_id]
            assert len(set(chain)) == len(chain)
            tifs = {v.time_in_force for v in t.superseded} | {t.time_in_force}
            assert len(tifs) == 1 or tifs <= {TimeInForce.DAY, TimeInForce.GTC}
            for older, newer in zip(t.superseded, t.superseded[1:], strict=False):
                assert (newer.request_id, newer.created_ms) == (older.replaced_by,
                                                                older.replaced_ms)
            if t.pending_time_in_force is not None:
                assert t.status is TradeStatus.PENDING_REPLACE
                assert t.pending_time_in_force is not t.time_in_force

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

BrokerMachine.TestCase.settings = settings(max_examples=120, stateful_step_count=50, **FAST)
TestBroker = BrokerMachine.TestCase


# ---------------------------------------------------------------- mutation proof
#
# Each test breaks one rule the invariants rely on and shows the machine above fails.
# Generation only (no shrinking) and a fixed seed keep them quick and deterministic.

MUTANT_SETTINGS = settings(
    max_examples=300, stateful_step_count=40, derandomize=True, database=None,
    phases=[Phase.generate], print_blob=False, **FAST,
)


def machine_fails(*why: str) -> None:
    """The machine must fail, with an assertion message containing one of `why`."""
    with pytest.raises(AssertionError) as caught:
        run_state_machine_as_test(BrokerMachine, settings=MUTANT_SETTINGS)
    message = str(caught.value)
    assert any(w in message for w in why), message


def test_mutant_forgetting_request_ids_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The duplicate-request check sees nothing: a redelivered deposit is booked twice."""
    original = core._request

    def forgetful(state: TraderState, req: Request, rd: refdata.RefData):  # type: ignore[no-untyped-def]
        remembered, state.requests = state.requests, {}
        changed, outputs = original(state, req, rd)
        state.requests = {**remembered, **state.requests}
        return changed, outputs

    monkeypatch.setattr(core, "_request", forgetful)
    machine_fails("redelivered")


def test_mutant_forgetting_exec_ids_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Execution ids are not remembered: a redelivered fill settles twice."""
    monkeypatch.setattr(core, "MAX_REMEMBERED_EXECUTIONS", 0)
    machine_fails("redelivered")


def test_mutant_fill_dropping_a_unit_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """settle_fill charges one unit less than it books as fees."""
    original = ledger.settle_fill

    def leaky(state: TraderState, trade: Trade, rd: refdata.RefData, qty: int, price: int) -> Trade:
        trade = original(state, trade, rd, qty, price)
        state.totals = replace(state.totals, fees=state.totals.fees + 1)
        return trade

    monkeypatch.setattr(executions, "settle_fill", leaky)
    machine_fails("cash conservation")


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
    machine_fails("cash conservation", "cash block sum")


def test_mutant_mutating_input_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """apply works on the caller's state instead of a private copy."""
    monkeypatch.setattr(TraderState, "copy", lambda self: self)
    machine_fails("mutated its input")


def test_mutant_closed_count_drifting_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting a trade forgets to count it in or out (a fill or cancel closing it)."""
    monkeypatch.setattr(Trades, "__setitem__", lambda self, k, t: dict.__setitem__(self, k, t))
    machine_fails("closed count drifted")


def test_mutant_in_place_touching_state_on_an_anomaly_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """apply_in_place remembers an execution id even when the report is refused."""
    original = core.on_execution

    def eager(state: TraderState, rep: ExecutionReport, rd: refdata.RefData) -> list[Output]:
        state.exec_ids[rep.exec_id] = None
        return original(state, rep, rd)

    monkeypatch.setattr(core, "on_execution", eager)
    machine_fails("apply_in_place left another state", "an anomaly changed the state")


def test_mutant_accepting_fills_outside_the_limit_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fill price check is gone: a buy can be filled above its limit."""
    original = executions._fill

    def lax(trade: Trade, rep: ExecutionReport) -> Trade | str:
        return original(trade, replace(rep, last_price=1 if trade.side is Side.BUY else 10**8))

    monkeypatch.setattr(executions, "_fill", lax)
    machine_fails("accepted: ", "took available cash")


def test_mutant_amend_block_without_mixed_fills_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The amend block before the fix: the larger of the old and the new block, which a fill
    on the old order followed by the rest of the new one can exceed."""

    def old_target_block(trade: Trade, rd: refdata.RefData) -> int:
        if trade.status.terminal:
            return 0
        block = ledger.required_block(trade, rd, trade.quantity, trade.block_price)
        if trade.pending_qty is not None or trade.pending_price is not None:
            qty = trade.pending_qty if trade.pending_qty is not None else trade.quantity
            price = trade.pending_price if trade.pending_price is not None else trade.block_price
            block = max(block, ledger.required_block(trade, rd, qty, price))
        return block

    for module in (executions, requests, ledger):
        if hasattr(module, "target_block"):
            monkeypatch.setattr(module, "target_block", old_target_block)
    machine_fails("took available cash", "cash_available")
