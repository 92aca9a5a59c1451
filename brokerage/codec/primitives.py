"""The Avro encodings of longs, strings, bytes and arrays of encoded items, which the
compiled writers (compiled.py) and the state writer build records from; from Rust where the
native extension is built (native.py), byte for byte the same (tests/unit/codec)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from brokerage import native


def zigzag(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    if not -(1 << 63) <= n < (1 << 63):
        raise ValueError(f"{n} does not fit a long")
    out = bytearray()
    while z > 0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


_SMALL = [zigzag(n) for n in range(-64, 64)]  # one byte each: most counts, flags, lengths


def memo(encode: Callable[[Any], bytes], limit: int) -> Callable[[Any], bytes]:
    """`encode` with its results remembered, at most `limit` of them (cleared when full)."""
    seen: dict[Any, bytes] = {}

    def cached(value: Any) -> bytes:
        b = seen.get(value)
        if b is None:
            if len(seen) >= limit:
                seen.clear()
            b = seen[value] = encode(value)
        return b
    return cached


big_bytes = memo(zigzag, 20_000)  # prices, amounts, quantities repeat: a lookup, not the loop


def _long_bytes(n: int) -> bytes:
    return _SMALL[n + 64] if -64 <= n < 64 else big_bytes(n)


def _string_bytes(s: str) -> bytes:
    b = s.encode()
    n = len(b)
    return (_SMALL[n + 64] if n < 64 else zigzag(n)) + b


def blob_bytes(b: bytes) -> bytes:
    return long_bytes(len(b)) + b


def _array_bytes(items: list[bytes]) -> bytes:
    return _long_bytes(len(items)) + b"".join(items) + b"\x00" if items else b"\x00"


NATIVE = native.module()
# The same bytes from Rust: these run hundreds of thousands of times per second.
long_bytes: Callable[[int], bytes] = NATIVE.long_bytes if NATIVE else _long_bytes
string_bytes: Callable[[str], bytes] = NATIVE.string_bytes if NATIVE else _string_bytes
array_bytes: Callable[[list[bytes]], bytes] = NATIVE.array_bytes if NATIVE else _array_bytes
