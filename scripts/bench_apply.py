"""Throughput of the business core: `core.apply` alone, and apply plus the state's Avro round
trip (decode the table value, apply, encode it back), which is what the worker does per event.

A realistic mix is generated first (untimed) with a fixed seed: many traders, mostly new limit
orders, some amends and cancels, the exchange's acks, fills and confirms, and some requests
that are refused. Then each variant replays the same events from empty states.

    .venv/bin/python scripts/bench_apply.py [--events 200000] [--traders 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable

from brokerage.codec.state import reference_bytes, state_from_bytes, state_to_bytes
from brokerage.codec.state_log import Stored
from brokerage.domain import core, refdata
from brokerage.domain.events import (
    AmendTrade,
    Anomaly,
    CancelTrade,
    Deposit,
    Event,
    ExecutionReport,
    NewTrade,
    OrderCommand,
    Response,
    Withdraw,
)
from brokerage.domain.state import TraderState
from brokerage.domain.types import ExecType, OrderAction, OrderType, Side, TimeInForce
from brokerage.service.batch import StoredCache

RD = refdata.load()
SYMBOLS = [s for s, i in RD.instruments.items() if i.reference_price_minor]


class Generator:
    """Traders send requests; a toy exchange answers the commands they produce."""

    def __init__(self, traders: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.ids = [f"T{n:05d}" for n in range(traders)]
        self.states = {t: TraderState(t) for t in self.ids}
        self.pending: dict[str, list[OrderCommand]] = {t: [] for t in self.ids}
        self.events: list[Event] = []
        self.kinds: Counter[str] = Counter()
        self.n = 0
        self.t_ms = 1_700_000_000_000

    def emit(self, event: Event) -> None:
        trader = event.trader_id
        self.states[trader], outputs = core.apply(self.states[trader], event, RD)
        self.events.append(event)
        self.pending[trader] += [o for o in outputs if isinstance(o, OrderCommand)]
        kind = (f"exec {event.exec_type.value}" if isinstance(event, ExecutionReport)
                else type(event).__name__)
        first = outputs[0] if outputs else None
        if isinstance(first, Response) and not first.accepted:
            kind += " (refused)"
        elif isinstance(first, Anomaly):
            kind += " (anomaly)"
        self.kinds[kind] += 1

    def rid(self) -> str:
        self.n += 1
        self.t_ms += 3
        return f"r{self.n}"

    def run(self, count: int) -> list[Event]:
        rng = self.rng
        for t in self.ids:  # opening balances
            self.emit(Deposit(self.rid(), t, rng.randrange(5_000_000, 50_000_000)))
            for sym in rng.sample(SYMBOLS, 2):
                self.emit(Deposit(self.rid(), t, 100 * RD.instruments[sym].lot, sym))
        while len(self.events) < count:
            trader = rng.choice(self.ids)
            roll = rng.random()
            if self.pending[trader] and roll < 0.45:
                self.exchange(trader)
            elif roll < 0.85:
                self.new_trade(trader)
            elif roll < 0.92:
                self.change(trader, amend=True)
            elif roll < 0.97:
                self.change(trader, amend=False)
            elif roll < 0.985:
                self.emit(Deposit(self.rid(), trader, rng.randrange(1, 1_000_000)))
            else:
                self.emit(Withdraw(self.rid(), trader, rng.randrange(1, 2_000_000)))
        return self.events[:count]

    def new_trade(self, trader: str) -> None:
        rng = self.rng
        sym = rng.choice(SYMBOLS)
        inst = RD.instruments[sym]
        ref = inst.reference_price_minor or 10_000
        side = rng.choice((Side.BUY, Side.SELL))
        qty = rng.randint(1, 20) * inst.lot
        market = rng.random() < 0.1
        price = None if market else (ref + rng.randint(-200, 200) * inst.tick_minor)
        if rng.random() < 0.03:  # a malformed one now and then
            price = (price or ref) + 1 if inst.tick_minor > 1 else -1
        tif = rng.choice((TimeInForce.DAY, TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC))
        order_type = OrderType.MARKET if market else OrderType.LIMIT
        self.emit(NewTrade(self.rid(), trader, side, sym, qty, order_type, price, tif,
                           at_ms=self.t_ms))

    def change(self, trader: str, amend: bool) -> None:
        rng = self.rng
        trades = [t for t in self.states[trader].trades.values() if not t.status.terminal]
        if not trades:
            return self.new_trade(trader)
        trade = rng.choice(trades)
        if not amend:
            return self.emit(CancelTrade(self.rid(), trader, trade.trade_id, at_ms=self.t_ms))
        lot = RD.instruments[trade.symbol].lot
        qty = max(lot, trade.quantity + rng.randint(-3, 3) * lot)
        self.emit(AmendTrade(self.rid(), trader, trade.trade_id, qty, at_ms=self.t_ms))

    def exchange(self, trader: str) -> None:
        rng = self.rng
        cmd = self.pending[trader].pop(0)
        trade = self.states[trader].trades.get(cmd.trade_id)
        if trade is None:
            return

        def rep(kind: ExecType, qty: int = 0, price: int = 0) -> None:
            self.n += 1
            self.emit(ExecutionReport(f"x{self.n}", trader, cmd.trade_id, kind, cmd.version,
                                      qty, price, at_ms=self.t_ms))

        if cmd.action is OrderAction.CANCEL:
            rep(ExecType.CANCELED if rng.random() < 0.95 else ExecType.CANCEL_REJECTED)
            return
        if cmd.action is OrderAction.REPLACE:
            rep(ExecType.REPLACED if rng.random() < 0.9 else ExecType.REPLACE_REJECTED)
        elif rng.random() < 0.03:
            rep(ExecType.REJECTED)
            return
        else:
            rep(ExecType.NEW)
        trade = self.states[trader].trades[cmd.trade_id]
        left = trade.quantity - trade.cum_qty
        if trade.status.terminal or left <= 0:
            return
        if rng.random() < 0.5:  # some fill at once, in one or two parts
            first = left if rng.random() < 0.6 else max(1, left // 2)
            rep(ExecType.TRADE, first, trade.block_price)
            if first < left:
                rep(ExecType.TRADE, left - first, trade.block_price)
        elif cmd.time_in_force is TimeInForce.IOC:
            rep(ExecType.EXPIRED)


def apply_only(states: dict[str, TraderState], events: list[Event]) -> float:
    """Applies `events` to `states` in place; returns the seconds it took."""
    apply = core.apply
    start = time.perf_counter()
    for e in events:
        t = e.trader_id
        state = states.get(t) or TraderState(t)
        states[t], _ = apply(state, e, RD)
    return time.perf_counter() - start


def apply_with_round_trip(table: dict[str, bytes], events: list[Event],
                          encode: Callable[[TraderState], bytes] = state_to_bytes,
                          cache: StoredCache | None = None) -> tuple[float, ...]:
    """What the worker does per event: read the table value (decoded unless the worker's
    cache holds it), apply, write it back. Returns the seconds spent decoding, applying
    and encoding."""
    apply, clock = core.apply, time.perf_counter
    dec = app = enc = 0.0
    for e in events:
        t, key = e.trader_id, e.trader_id.encode()
        t0 = clock()
        raw = table.get(t)
        if raw is None:
            state = TraderState(t)
        else:
            hit = cache.get(key, raw) if cache else None
            state = hit.state if hit else state_from_bytes(raw)
        t1 = clock()
        new, _ = apply(state, e, RD)
        t2 = clock()
        if new is not state:  # the worker writes only what changed
            table[t] = out = encode(new)
            if cache:
                cache.put(key, Stored(new, None, out))
        t3 = clock()
        dec, app, enc = dec + t1 - t0, app + t2 - t1, enc + t3 - t2
    return dec, app, enc


def rate(label: str, n: int, took: float) -> None:
    print(f"{label:<40} {n:>7} events {took:6.2f} s {n / took:>9,.0f} ev/s"
          f" {took / n * 1e6:8.1f} us/ev")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=100_000)
    p.add_argument("--round-trip-events", type=int, default=10_000,
                   help="how many of the last events the apply+codec variant replays")
    p.add_argument("--traders", type=int, default=1_000)
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()

    start = time.perf_counter()
    gen = Generator(args.traders, args.seed)
    events = gen.run(args.events)
    print(f"generated {len(events)} events for {args.traders} traders "
          f"in {time.perf_counter() - start:.1f} s (seed {args.seed})")
    total = sum(gen.kinds.values())
    print("mix: " + ", ".join(f"{k} {v / total:.1%}" for k, v in gen.kinds.most_common()))

    # core.apply over everything, in two parts so the codec variant can start where the
    # second part does, from states of realistic size.
    split = max(0, len(events) - args.round_trip_events)
    states: dict[str, TraderState] = {}
    took = apply_only(states, events[:split])
    at_split = dict(states)
    took += apply_only(states, events[split:])
    rate("core.apply", len(events), took)

    sizes = sorted(len(state_to_bytes(s)) for s in at_split.values()) or [0]
    print(f"state size when the codec variant starts: median {sizes[len(sizes) // 2]:,} B, "
          f"max {sizes[-1]:,} B")
    tail, n = events[split:], len(events[split:])
    variants = [  # label, encoder, with the worker's decoded-state cache
        ("decode + apply + encode (fastavro)", reference_bytes, False),
        ("decode + apply + encode (state writer)", state_to_bytes, False),
        ("worker path: cache, apply, fastavro", reference_bytes, True),
        ("worker path: cache, apply, state writer", state_to_bytes, True),
    ]
    totals = {}
    for label, encode, cached in variants:
        table = {t: state_to_bytes(s) for t, s in at_split.items()}
        dec, app, enc = apply_with_round_trip(table, tail, encode,
                                              StoredCache() if cached else None)
        totals[label] = dec + app + enc
        rate(label, n, dec + app + enc)
        print(f"  of which decode {dec / n * 1e6:.1f} us, apply {app / n * 1e6:.1f} us, "
              f"encode {enc / n * 1e6:.1f} us per event")
    ref, fast = totals[variants[2][0]], totals[variants[3][0]]
    print(f"worker path speed-up from the state writer: {ref / fast:.2f}x (same run)")
    final = sorted(len(b) for b in table.values())
    print(f"state size at the end: median {final[len(final) // 2]:,} B, max {final[-1]:,} B")


if __name__ == "__main__":
    main()
