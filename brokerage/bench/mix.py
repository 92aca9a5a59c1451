"""The bench's request mix: the chaos workload (deposits first, then mostly new limit orders,
some amends and cancels, deliberate duplicates and some rejects), with what the harness needs
to match each request to its answers. Pure: builds lists, no I/O."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from brokerage.chaos.workload import generate
from brokerage.codec import avro
from brokerage.domain.refdata import RefData
from brokerage.domain.requests import trade_id_for


@dataclass(frozen=True, slots=True)
class Request:
    key: bytes
    value: bytes
    kind: str  # NewTrade, AmendTrade, CancelTrade, Deposit, Duplicate
    request_id: str
    trade_id: str  # a NewTrade's deterministic trade id ("" otherwise)


@dataclass(frozen=True)
class Workload:
    deposits: list[Request]  # two per trader, sent first to fund them: the warm-up
    mix: list[Request]  # what the measured phases send, in order


def build(requests: int, traders: int, refdata: RefData, seed: int = 1) -> Workload:
    """`requests` measured requests over `traders` traders, after the traders' deposits."""
    out = [_describe(m.key, m.value, m.kind)
           for m in generate(requests + 2 * traders, traders, refdata, seed)]
    return Workload(out[:2 * traders], out[2 * traders:])


def _describe(key: bytes, value: bytes, kind: str) -> Request:
    rec = avro.decode("trade_request", value)
    rid, body = rec["request_id"], rec["body"][0]
    tid = trade_id_for(rec["trader_id"], rid) if body.endswith("NewTrade") else ""
    return Request(key, value, kind, rid, tid)


def kinds(reqs: list[Request]) -> dict[str, int]:
    """How many of each kind, for the report."""
    return dict(Counter(r.kind for r in reqs).most_common())


def slices(total: int, sizes: list[int]) -> list[tuple[int, int]]:
    """Consecutive [start, end) ranges of the mix for phases of the given sizes (the last
    ones shrink if the mix is shorter)."""
    out, at = [], 0
    for n in sizes:
        end = min(total, at + n)
        out.append((at, end))
        at = end
    return out


def repeated(work: Workload, start: int, end: int, least: int
             ) -> tuple[list[Request], int, int]:
    """A reference's requests: the deposits, then `work.mix[start:end]` (the closed loop's
    range) repeated until there are at least `least` of them, since a phase of a second or
    less measures little (the sampler reads every 0.5 s); and that part's (start, end). A
    repeat is a duplicate to our rules, and to a pass-through the same message again."""
    one = work.mix[start:end]
    times = max(1, -(-least // max(1, len(one))))
    d = len(work.deposits)
    return work.deposits + one * times, d, d + len(one) * times
