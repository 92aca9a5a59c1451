"""The native Avro codec (the `brokerage_native` extension, built from native/ by
`make setup`): writers, readers and state arrays giving byte for byte what the Python codec
gives, which stays the reference and the fallback. Used when installed, unless
BROKERAGE_NATIVE_CODEC=false."""

from __future__ import annotations

from types import ModuleType

from brokerage.config import get_settings


def module() -> ModuleType | None:
    if not get_settings().native_codec:
        return None
    try:
        import brokerage_native
    except ImportError:
        return None
    return brokerage_native

