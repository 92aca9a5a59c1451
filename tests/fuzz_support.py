"""Seeded generators of good and bad trade-request messages for the fuzz tests, and what the
worker must do with each.

Pure: no Kafka. `generate(seed, total)` always returns the same messages for the same
arguments, so a failure reproduces from the seed alone.

Every message carries its expected outcome: a dead letter or not, and the (trader_id,
request_id) of the one RESPONSE it must produce, if any. For most categories the outcome is
known by construction. Bit flips and random bodies behind a real header can land anywhere
(a flip may turn one valid request into another), so for those `predict` works it out with
the codec's own decoding and checks; the tests then check that the worker did exactly that.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from brokerage.codec import avro
from brokerage.codec.models import MalformedRecord, event_from_request_record, request_to_record
from brokerage.domain import events as ev
from brokerage.domain import refdata as refdata_mod
from brokerage.domain.requests import trade_id_for
from brokerage.domain.types import OrderType, Side, TimeInForce

RD = refdata_mod.load()
HUGE_BYTES = 900_000  # well under the 1 MB default message limits of broker and clients
TRADE_REQUEST = "trade_request"


class Cat(StrEnum):
    VALID = "valid"
    GARBAGE = "garbage"  # random bytes, never starting with the Avro magic
    TRUNCATED = "truncated"  # a valid message cut short
    FINGERPRINT = "wrong_fingerprint"  # a valid body behind an unknown or foreign fingerprint
    HUGE = "huge"  # ~900 KB: huge strings in a valid record, or huge garbage
    ABSURD = "absurd"  # schema-valid but absurd: sanity checks refuse it
    BITFLIP = "bitflip"  # a valid message with 1-3 bits flipped: outcome predicted
    RANDOM_BODY = "random_body"  # random bytes behind a real header: outcome predicted


KNOWN = frozenset(Cat) - {Cat.BITFLIP, Cat.RANDOM_BODY}  # outcome known by construction


@dataclass(frozen=True, slots=True)
class Outcome:
    dead_letter: bool
    response: tuple[str, str] | None  # (trader_id, request_id) of the one RESPONSE expected
    malformed: bool = False  # the response must be a MALFORMED reject


@dataclass(frozen=True, slots=True)
class Msg:
    cat: Cat
    key: bytes | None
    value: bytes | None  # None: a tombstone (null value)
    expect: Outcome
    note: str = ""  # which variant, for failure messages

    @property
    def raw(self) -> bytes:
        """What the dead-letter topic must carry: the original bytes (a null value is empty)."""
        return self.value or b""


def predict(key: bytes | None, value: bytes | None) -> Outcome:
    """What the handler does with a request message, worked out with the codec's checks."""
    try:
        req = event_from_request_record(avro.decode(TRADE_REQUEST, value or b""), key)
    except avro.DecodeError:
        return Outcome(True, None)
    except MalformedRecord as exc:
        ids = (exc.trader_id, exc.request_id) if exc.trader_id and exc.request_id else None
        return Outcome(True, ids, malformed=ids is not None)
    return Outcome(False, (req.trader_id, req.request_id))


def trader_name(i: int) -> str:
    return f"t{i:03d}"


def enc(req: ev.Request) -> bytes:
    return avro.encode(TRADE_REQUEST, request_to_record(req))


def enc_raw(request_id: str, trader_id: str, body: tuple[str, dict[str, Any]]) -> bytes:
    rec = {"request_id": request_id, "trader_id": trader_id, "sent_at_ms": 0, "body": body}
    return avro.encode(TRADE_REQUEST, rec)


def _other_fingerprints() -> list[bytes]:
    mine = set(avro.writers(TRADE_REQUEST))
    others = [avro.current(n).fingerprint
              for n in ("trade_event", "order", "execution_report", "trader_state")]
    return [f for f in others if f not in mine]


class Generator:
    def __init__(self, seed: int, traders: int = 50) -> None:
        self.rng = random.Random(seed)
        self.traders = [trader_name(i) for i in range(traders)]
        self.booked: dict[str, list[str]] = {t: [] for t in self.traders}  # trade ids
        self.seq = 0
        self.symbols = sorted(RD.instruments)
        self.foreign = _other_fingerprints()

    # ---- helpers ----

    def rid(self, prefix: str) -> str:
        # Category prefixes differ in every character, so a single bit flip in one
        # category's id never lands on another category's.
        self.seq += 1
        return f"{prefix}-{self.seq:07d}"

    def trader(self) -> str:
        return self.rng.choice(self.traders)

    def price(self, symbol: str) -> int:
        inst = RD.instruments[symbol]
        ref = inst.reference_price_minor or 10_000
        raw = int(ref * self.rng.uniform(0.97, 1.03))
        return max(inst.tick_minor, raw // inst.tick_minor * inst.tick_minor)

    def valid_request(self, prefix: str, trader: str, book: bool) -> ev.Request:
        """A well-formed request; the domain may still reject it (funds, unknown trade...)."""
        r, rid = self.rng.random(), self.rid(prefix)
        booked = self.booked[trader]
        if r < 0.6 or not booked:
            sym = self.rng.choice(self.symbols)
            inst = RD.instruments[sym]
            qty = inst.lot * self.rng.randint(1, 20)
            side = self.rng.choice(list(Side))
            tif = self.rng.choice(list(TimeInForce))
            if self.rng.random() < 0.2:
                req: ev.Request = ev.NewTrade(rid, trader, side, sym, qty, OrderType.MARKET,
                                              None, tif)
            else:
                req = ev.NewTrade(rid, trader, side, sym, qty, OrderType.LIMIT,
                                  self.price(sym), tif)
            if book:
                booked.append(trade_id_for(trader, rid))
            return req
        if r < 0.75:
            return ev.CancelTrade(rid, trader, self.rng.choice(booked))
        if r < 0.85:
            return ev.AmendTrade(rid, trader, self.rng.choice(booked),
                                 self.rng.randint(1, 30), self.rng.choice([None, 19_000]))
        if r < 0.95:
            shares = self.rng.choice([None, None, *self.symbols])
            return ev.Deposit(rid, trader, self.rng.randint(1, 1_000_000), shares)
        return ev.Withdraw(rid, trader, self.rng.randint(1, 100_000), None)

    # ---- categories ----

    def valid(self) -> Msg:
        t = self.trader()
        req = self.valid_request("val", t, book=True)
        return Msg(Cat.VALID, t.encode(), enc(req), Outcome(False, (t, req.request_id)),
                   type(req).__name__)

    def garbage(self) -> Msg:
        rng = self.rng
        key = rng.choice([self.trader().encode(), None, rng.randbytes(rng.randint(1, 20))])
        roll = rng.random()
        if roll < 0.03:
            value: bytes | None = None
        elif roll < 0.06:
            value = b""
        else:
            value = rng.randbytes(rng.randint(1, 300))
            if value[:2] == avro.MAGIC:
                value = b"\x00" + value[1:]
        return Msg(Cat.GARBAGE, key, value, Outcome(True, None),
                   "null" if value is None else f"{len(value)} bytes")

    def truncated(self) -> Msg:
        t = self.trader()
        data = enc(self.valid_request("trn", t, book=False))
        cut = self.rng.randint(avro.HEADER + 1, len(data) - 1) if self.rng.random() < 0.9 \
            else self.rng.randint(0, avro.HEADER - 1)
        return Msg(Cat.TRUNCATED, t.encode(), data[:cut], Outcome(True, None),
                   f"cut at {cut} of {len(data)}")

    def wrong_fingerprint(self) -> Msg:
        t = self.trader()
        data = enc(self.valid_request("fpr", t, book=False))
        if self.rng.random() < 0.5:
            fp = self.rng.choice(self.foreign)
            note = "foreign schema"
        else:
            fp = self.rng.randbytes(8)
            while fp in avro.writers(TRADE_REQUEST):
                fp = self.rng.randbytes(8)
            note = "random"
        return Msg(Cat.FINGERPRINT, t.encode(), data[:2] + fp + data[avro.HEADER:],
                   Outcome(True, None), note)

    def huge(self, i: int) -> Msg:
        t = self.trader()
        big = "A" * HUGE_BYTES
        variant = i % 4
        if variant == 0:  # huge symbol: ids recoverable, so also a MALFORMED response
            rid = self.rid("hug")
            req = ev.NewTrade(rid, t, Side.BUY, big, 1, OrderType.LIMIT, 100)
            return Msg(Cat.HUGE, t.encode(), enc(req), Outcome(True, (t, rid), True), "symbol")
        if variant == 1:  # huge request id: nothing to answer
            return Msg(Cat.HUGE, t.encode(), enc(ev.Deposit(big, t, 100)), Outcome(True, None),
                       "request_id")
        if variant == 2:  # huge trade id in a cancel
            rid = self.rid("hug")
            return Msg(Cat.HUGE, t.encode(), enc(ev.CancelTrade(rid, t, big)),
                       Outcome(True, (t, rid), True), "trade_id")
        value = self.rng.randbytes(HUGE_BYTES)
        value = b"\x00" + value[1:]
        return Msg(Cat.HUGE, t.encode(), value, Outcome(True, None), "garbage")

    def absurd(self, i: int) -> Msg:
        rng, t = self.rng, self.trader()
        key: bytes | None = t.encode()
        rid = self.rid("abs")
        answered = True
        variant = i % 14
        sym = rng.choice(self.symbols)
        if variant == 0:
            req: ev.Request | None = ev.NewTrade(rid, t, Side.BUY, sym, -rng.randint(1, 10**6),
                                                 OrderType.LIMIT, 19_000)
        elif variant == 1:
            req = ev.NewTrade(rid, t, Side.SELL, sym, 0, OrderType.LIMIT, 19_000)
        elif variant == 2:
            req = ev.NewTrade(rid, t, Side.BUY, sym, 10, OrderType.LIMIT,
                              rng.randint(10**15, 2**63 - 1))
        elif variant == 3:
            req = ev.NewTrade(rid, t, Side.BUY, sym, 10, OrderType.LIMIT, -rng.randint(1, 10**9))
        elif variant == 4:
            req = ev.NewTrade(rid, t, Side.BUY, sym, rng.randint(10**15, 2**63 - 1),
                              OrderType.MARKET, None)
        elif variant == 5:
            amount = rng.choice([-rng.randint(1, 10**9), 0, rng.randint(10**15, 2**63 - 1)])
            req = ev.Deposit(rid, t, amount) if rng.random() < 0.5 else ev.Withdraw(rid, t, amount)
        elif variant == 6:  # the key names another trader
            req = ev.Deposit(rid, t, 100)
            key = rng.choice([x for x in self.traders if x != t]).encode()
        elif variant == 7:  # no key at all
            req = ev.Deposit(rid, t, 100)
            key = None
        elif variant == 8:
            bad = rng.choice(["aapl", "", "A" * 13, "AA PL", "ÄPPL", "AAPL\n"])
            req = ev.NewTrade(rid, t, Side.BUY, bad, 1, OrderType.LIMIT, 100)
        elif variant == 9:
            req = ev.CancelTrade(rid, t, rng.choice(["", "x y", "t.1;drop", "a" * 65, "t\n"]))
        elif variant == 10:  # ids that cannot be trusted: dead letter only
            answered = False
            bad = rng.choice(["", "has space", "x" * 65, "ünïcode", "semi;colon", "nl\n"])
            if rng.random() < 0.5:
                req = ev.Deposit(bad, t, 100)
            else:
                req = ev.Deposit(rid, bad, 100)
                key = bad.encode()
        elif variant == 11:  # long-ish ids (the huge ones are in HUGE)
            answered = False
            req = ev.Deposit("r" * rng.randint(65, 5000), t, 100)
        elif variant == 12:  # a valid record followed by extra bytes
            answered = False
            req = None
            value = enc(ev.Deposit(rid, t, 100)) + rng.randbytes(rng.randint(1, 8))
        else:  # key that is not UTF-8 but whose replacement text could look alike
            req = ev.Deposit(rid, t, 100)
            key = t.encode() + b"\xff"
        if req is not None:
            value = enc(req)
        expect = Outcome(True, (t, rid), True) if answered else Outcome(True, None)
        return Msg(Cat.ABSURD, key, value, expect, f"variant {variant}")

    def bitflip(self) -> Msg:
        t = self.trader()
        data = bytearray(enc(self.valid_request("flp", t, book=False)))
        flips = self.rng.randint(1, 3)
        for _ in range(flips):
            lo = avro.HEADER if self.rng.random() < 0.85 else 0
            pos = self.rng.randrange(lo, len(data))
            data[pos] ^= 1 << self.rng.randrange(8)
        value = bytes(data)
        return Msg(Cat.BITFLIP, t.encode(), value, predict(t.encode(), value), f"{flips} flips")

    def random_body(self) -> Msg:
        t = self.trader()
        fp = avro.current(TRADE_REQUEST).fingerprint
        # Plausible starts make a decodable record more likely than pure noise would.
        if self.rng.random() < 0.5:
            head = enc(ev.Deposit(self.rid("rnd"), t, 100))[: self.rng.randint(avro.HEADER, 30)]
        else:
            head = avro.MAGIC + fp
        value = head + self.rng.randbytes(self.rng.randint(0, 60))
        return Msg(Cat.RANDOM_BODY, t.encode(), value, predict(t.encode(), value))


def generate(seed: int, total: int, traders: int = 50) -> list[Msg]:
    """`total` messages: funding deposits first (so some buys are accepted), then a seeded
    shuffle of every category. About a third are valid requests."""
    g = Generator(seed, traders)
    rng = g.rng
    msgs: list[Msg] = []
    for t in g.traders:  # cash, and shares of one symbol so some sells are accepted too
        sym = rng.choice(g.symbols)
        for req in (ev.Deposit(g.rid("val"), t, 50_000_000),
                    ev.Deposit(g.rid("val"), t, 100 * RD.instruments[sym].lot, sym)):
            msgs.append(Msg(Cat.VALID, t.encode(), enc(req),
                            Outcome(False, (t, req.request_id)), "funding"))
    rest = max(0, total - len(msgs))
    n_huge = min(8, max(1, rest // 2000))
    weights = {Cat.VALID: 30, Cat.GARBAGE: 10, Cat.TRUNCATED: 12, Cat.FINGERPRINT: 8,
               Cat.ABSURD: 14, Cat.BITFLIP: 20, Cat.RANDOM_BODY: 6}
    plan: list[Cat] = [Cat.HUGE] * n_huge
    plan += rng.choices(list(weights), weights=list(weights.values()), k=rest - n_huge)
    rng.shuffle(plan)
    counters: Counter[Cat] = Counter()
    makers = {
        Cat.VALID: lambda i: g.valid(), Cat.GARBAGE: lambda i: g.garbage(),
        Cat.TRUNCATED: lambda i: g.truncated(), Cat.FINGERPRINT: lambda i: g.wrong_fingerprint(),
        Cat.HUGE: g.huge, Cat.ABSURD: g.absurd, Cat.BITFLIP: lambda i: g.bitflip(),
        Cat.RANDOM_BODY: lambda i: g.random_body(),
    }
    for cat in plan:
        msgs.append(makers[cat](counters[cat]))
        counters[cat] += 1
    return msgs


def expected_responses(msgs: list[Msg]) -> Counter[tuple[str, str]]:
    """How many RESPONSE events each (trader_id, request_id) must get. Ids can repeat (a bit
    flip can land on another flip's id): a repeat gets its own response too (the stored one,
    or DUPLICATE_REQUEST), so this is a count, not a set."""
    return Counter(m.expect.response for m in msgs if m.expect.response is not None)


def category_counts(msgs: list[Msg]) -> dict[str, int]:
    return dict(sorted(Counter(str(m.cat) for m in msgs).items()))
