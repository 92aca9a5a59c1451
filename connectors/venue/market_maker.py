"""Liquidity seeding: a ladder of quotes around each symbol's reference price.

Level i (0-based) bids at ref - (i+1)*spacing and offers at ref + (i+1)*spacing, `qty` each,
so a large order fills partly and at several prices. A quote that is fully taken is queued
for replenishment and re-posted (at the back of its level) after a later instruction on
that symbol; if brokerage orders rest through its price, it trades with them first, at
their price (matching.requote). Its own execution reports are never published.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from brokerage.domain.refdata import Instrument, RefData

from .book import BUY, SELL

Quote = tuple[str, int, int, int]  # (side, level, price, qty)


@dataclass(frozen=True, slots=True)
class MarketMakerConfig:
    levels: int = 5  # price levels per side; 0 disables the market maker
    qty: int = 100  # shares per level (rounded up to the lot)
    spacing_bps: int = 5  # distance between levels, in bps of the reference (>= 1 tick)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def spacing(inst: Instrument, cfg: MarketMakerConfig) -> int:
    ref = inst.reference_price_minor or 0
    raw = ref * cfg.spacing_bps // 10_000
    return max(inst.tick_minor, raw // inst.tick_minor * inst.tick_minor)


def quote(inst: Instrument, cfg: MarketMakerConfig, side: str, level: int) -> Quote | None:
    """The quote at one level, or None if the price would not be positive."""
    ref = inst.reference_price_minor
    if ref is None:
        return None
    ref = ref // inst.tick_minor * inst.tick_minor
    step = (level + 1) * spacing(inst, cfg)
    price = ref - step if side == BUY else ref + step
    qty = -(-cfg.qty // inst.lot) * inst.lot
    return (side, level, price, qty) if price > 0 and qty > 0 else None


@dataclass
class MarketMaker:
    refdata: RefData
    cfg: MarketMakerConfig
    pending: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # taken quotes

    def initial(self) -> list[tuple[str, Quote]]:
        """Every quote for every symbol with a reference price, in a fixed order."""
        out = []
        for sym, inst in self.refdata.instruments.items():
            for level in range(self.cfg.levels):
                for side in (BUY, SELL):
                    q = quote(inst, self.cfg, side, level)
                    if q is not None:
                        out.append((sym, q))
        return out

    def taken(self, symbol: str, side: str, level: int) -> None:
        self.pending.setdefault(symbol, []).append((side, level))

    def refill(self, symbol: str) -> list[Quote]:
        """The taken quotes of `symbol`, to post again now (matching.requote)."""
        todo = self.pending.pop(symbol, None)
        if not todo:
            return []
        inst = self.refdata.instruments[symbol]
        return [q for side, level in todo if (q := quote(inst, self.cfg, side, level))]

    def to_state(self) -> dict[str, Any]:
        return {"cfg": self.cfg.to_dict(), "pending": {k: [list(p) for p in v]
                                                       for k, v in self.pending.items()}}

    @classmethod
    def from_state(cls, refdata: RefData, state: dict[str, Any]) -> MarketMaker:
        pending = {k: [(str(s), int(lv)) for s, lv in v] for k, v in state["pending"].items()}
        return cls(refdata, MarketMakerConfig(**state["cfg"]), pending)
