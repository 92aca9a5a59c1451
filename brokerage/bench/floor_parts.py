"""The topology floor's pure parts (floor.py): the shape of our traffic it copies, its frames
and a steady share without randomness."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_ITEM = struct.Struct(">BHI")  # tag, key length, value length
# Our orders, reports, responses and updates carry a W3C trace header: so do these.
TRACE: list[tuple[str, str | bytes | None]] = [
    ("traceparent", b"00-%s-%s-01" % (b"0" * 32, b"0" * 16))]
REQUEST, REPORT = 0, 1
@dataclass(frozen=True)
class Shape:
    """Per input, what our worker writes (measured on the bench's mix by `shape_of`)."""
    orders_per_request: float = 0.84
    order_bytes: int = 104
    update_bytes: int = 100
    state_bytes: int = 1_073
    reports_per_order: float = 1.4  # execution reports per order from the venue
    report_bytes: int = 72

    def argv(self) -> list[str]:
        return [str(v) for v in (self.orders_per_request, self.order_bytes, self.update_bytes,
                                 self.state_bytes, self.reports_per_order, self.report_bytes)]

    @classmethod
    def parse(cls, args: list[str]) -> Shape:
        a = [float(x) for x in args]
        return cls(a[0], int(a[1]), int(a[2]), int(a[3]), a[4], int(a[5]))


def pack(msgs: list[tuple[int, bytes, bytes]]) -> bytes:
    return b"".join(_ITEM.pack(tag, len(k), len(v)) + k + v for tag, k, v in msgs)


def unpack(frame: bytes) -> list[tuple[int, bytes, bytes]]:
    out, at = [], 0
    while at < len(frame):
        tag, nk, nv = _ITEM.unpack_from(frame, at)
        at += _ITEM.size
        out.append((tag, frame[at:at + nk], frame[at + nk:at + nk + nv]))
        at += nk + nv
    return out


class Share:
    """Every 1/rate-th call says yes: a steady share without randomness."""

    def __init__(self, rate: float) -> None:
        self.rate, self.acc = rate, 0.0

    def take(self) -> int:
        self.acc += self.rate
        n = int(self.acc)
        self.acc -= n
        return n


