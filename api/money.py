"""Money on HTTP: decimal strings with two places; integer minor units inside."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

MINOR = 100  # cents per unit of currency


def to_minor(value: str | int | Decimal) -> int:
    """'190.5' -> 19050. Refuses anything finer than a cent rather than rounding it."""
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    minor = d * MINOR
    if minor != minor.to_integral_value():
        raise ValueError(f"{value} has more than two decimal places")
    return int(minor)


def from_minor(minor: int) -> str:
    return str((Decimal(minor) / MINOR).quantize(Decimal("0.01")))
