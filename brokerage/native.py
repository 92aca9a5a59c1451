"""The native extension (`brokerage_native`, built from native/ by `make setup`): the Avro
codec's writers, readers and state arrays, and the rules' record copies (`evolve`), each
giving exactly what its Python counterpart gives, which stays the reference and the
fallback. Used when installed, unless BROKERAGE_NATIVE=false."""

from __future__ import annotations

from types import ModuleType

from brokerage.config import get_settings


def module() -> ModuleType | None:
    if not get_settings().native:
        return None
    try:
        import brokerage_native
    except ImportError:
        return None
    return brokerage_native

