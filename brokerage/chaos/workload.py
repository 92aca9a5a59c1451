"""A seeded, realistic request mix for chaos and load runs: deposits, new orders (most of them
marketable), amends, cancels, deliberate duplicates and some rejects. Pure: yields messages."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from brokerage.codec import avro
from brokerage.codec.models import request_to_record
from brokerage.domain import events as ev
from brokerage.domain.refdata import RefData
from brokerage.domain.requests import trade_id_for
from brokerage.domain.types import OrderType, Side, TimeInForce

SYMBOLS = ("AAPL", "MSFT", "GOOG")


@dataclass(frozen=True)
class Msg:
    key: bytes
    value: bytes
    kind: str


def encode(req: ev.Request) -> Msg:
    return Msg(req.trader_id.encode(), avro.encode("trade_request", request_to_record(req)),
               type(req).__name__)


def generate(n: int, traders: int, refdata: RefData, seed: int = 1) -> Iterator[Msg]:
    """`n` requests over `traders` traders; the first 2 per trader fund them."""
    rng = random.Random(seed)
    ids = [f"chaos-{seed}-{i}" for i in range(traders)]
    for t in ids:
        yield encode(ev.Deposit(f"{t}-cash", t, 100_000_000))
        yield encode(ev.Deposit(f"{t}-aapl", t, 1_000, "AAPL"))
    trades: dict[str, list[str]] = {t: [] for t in ids}
    sent: list[Msg] = []
    for i in range(max(0, n - 2 * traders)):
        t = rng.choice(ids)
        rid = f"r{i}"
        roll = rng.random()
        if roll < 0.05 and sent:
            msg = rng.choice(sent)  # a deliberate duplicate: same bytes again
            yield Msg(msg.key, msg.value, "Duplicate")
            continue
        if roll < 0.15 and trades[t]:
            tid = rng.choice(trades[t])
            yield (m := encode(ev.CancelTrade(rid, t, tid)))
        elif roll < 0.25 and trades[t]:
            tid = rng.choice(trades[t])
            yield (m := encode(ev.AmendTrade(rid, t, tid, rng.randint(1, 20), None)))
        else:
            m = encode(_new(rng, rid, t, refdata))
            trades[t].append(trade_id_for(t, rid))
            yield m
        sent.append(m)


def _new(rng: random.Random, rid: str, trader: str, refdata: RefData) -> ev.NewTrade:
    if rng.random() < 0.03:  # a reject: far beyond the notional limit
        return ev.NewTrade(rid, trader, Side.BUY, "AAPL", 9_000_000, OrderType.LIMIT, 19_000)
    symbol = rng.choice(SYMBOLS)
    ref = refdata.instruments[symbol].reference_price_minor or 10_000
    side = Side.SELL if symbol == "AAPL" and rng.random() < 0.3 else Side.BUY
    # Within a few levels of the reference: most cross the market maker, some rest.
    offset = rng.randint(-3, 12) * max(1, ref // 2000)
    price = ref + offset if side is Side.BUY else ref - offset
    tif = rng.choice((TimeInForce.DAY, TimeInForce.GTC, TimeInForce.IOC))
    return ev.NewTrade(rid, trader, side, symbol, rng.randint(1, 20), OrderType.LIMIT, price, tif)
