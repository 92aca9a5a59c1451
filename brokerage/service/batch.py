"""Many inputs at a time: the same rules as `handle`, but each trader's state is encoded and
written once per batch, not once per event (encoding and the table write cost more than the
rules). Pure: the caller reads the table and writes what `writes()` returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from brokerage.codec.state import state_from_bytes, state_to_bytes
from brokerage.domain import core
from brokerage.domain.refdata import RefData
from brokerage.domain.state import TraderState

from .handler import Result, Source, StateCache, parse, refused, sends_for


@dataclass(slots=True)
class _Pending:
    state: TraderState
    stored: bytes | None  # the table's value when the batch began
    write: bool = False
    changed: bool = False  # by a rule this batch (else a rewrite puts `stored` again)


class Batch:
    def __init__(self, refdata: RefData, cache: StateCache | None = None) -> None:
        self.refdata, self.cache = refdata, cache
        self._pending: dict[bytes, _Pending] = {}

    def apply(self, src: Source, key: bytes | None, value: bytes | None,
              read: Callable[[bytes], bytes | None]) -> Result:
        """One input, in order. `read(key)` is the table's value; asked once per trader.
        The Result's `state` is always None: see `writes()`."""
        value = value or b""
        parsed = parse(src, key, value)
        if isinstance(parsed, Result):
            return parsed
        p = self._pending.get(key) if key else None
        if p is None:
            stored = read(key) if key else None
            p = _Pending(self._decode(key, stored) if stored else TraderState(parsed.trader_id),
                         stored)
            if key:
                self._pending[key] = p
        new, outputs = core.apply(p.state, parsed, self.refdata)
        repeat = new is p.state and not refused(outputs)
        if new is not p.state:
            p.state, p.write, p.changed = new, True, True
        elif not refused(outputs) and p.stored:
            p.write = True  # a redelivery: log the value again (see `handle`)
        return Result(None, sends_for(src, key, value, outputs), type(parsed).__name__, outputs,
                      repeat)

    def writes(self) -> dict[bytes, bytes]:
        """The table values to put, one per trader whose state must be (re)written."""
        out: dict[bytes, bytes] = {}
        for key, p in self._pending.items():
            if not p.write:
                continue
            if not p.changed and p.stored is not None:
                out[key] = p.stored
                continue
            out[key] = state_to_bytes(p.state)
            if self.cache:
                self.cache.put(key, out[key], p.state)
        return out

    def _decode(self, key: bytes | None, stored: bytes) -> TraderState:
        return self.cache.get(key, stored) if self.cache else state_from_bytes(stored)
