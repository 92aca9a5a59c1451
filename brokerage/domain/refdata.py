"""Reference data: symbols, tick and lot sizes, fee schedule, limits (loaded from TOML)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATH = Path(__file__).with_name("refdata.toml")


@dataclass(frozen=True, slots=True)
class Instrument:
    symbol: str
    tick_minor: int
    lot: int
    reference_price_minor: int | None


@dataclass(frozen=True, slots=True)
class RefData:
    instruments: dict[str, Instrument]
    fee_bps: int
    fee_min_minor: int
    max_order_notional_minor: int
    max_quantity: int
    max_price_minor: int
    max_cash_amount_minor: int
    market_collar_bps: int
    max_open_trades: int

    def fee(self, notional_minor: int) -> int:
        """Cumulative fee for a trade's filled notional.

        Rounded up to the unit, at least the minimum, but never more than the notional
        itself, so a small sell can never cost more than it brings in.
        """
        if notional_minor <= 0:
            return 0
        pct = -(-notional_minor * self.fee_bps // 10_000)  # ceil without float
        return min(notional_minor, max(self.fee_min_minor, pct))


def load(path: Path | None = None) -> RefData:
    raw = tomllib.loads((path or DEFAULT_PATH).read_text())
    instruments = {
        sym: Instrument(
            symbol=sym,
            tick_minor=int(spec["tick_minor"]),
            lot=int(spec["lot"]),
            reference_price_minor=spec.get("reference_price_minor"),
        )
        for sym, spec in raw["symbols"].items()
    }
    for inst in instruments.values():
        if inst.tick_minor <= 0 or inst.lot <= 0:
            raise ValueError(f"bad tick or lot for {inst.symbol}")
    fees, limits = raw["fees"], raw["limits"]
    return RefData(
        instruments=instruments,
        fee_bps=int(fees["bps"]),
        fee_min_minor=int(fees["min_minor"]),
        max_order_notional_minor=int(limits["max_order_notional_minor"]),
        max_quantity=int(limits["max_quantity"]),
        max_price_minor=int(limits["max_price_minor"]),
        max_cash_amount_minor=int(limits["max_cash_amount_minor"]),
        market_collar_bps=int(limits["market_collar_bps"]),
        max_open_trades=int(limits["max_open_trades"]),
    )
