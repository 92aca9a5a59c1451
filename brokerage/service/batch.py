"""Many inputs at a time: the same rules as `handle`, but each trader's state is written once
per batch, not once per event, and as what changed (codec/state_log.py), not the whole state.
Pure: the caller reads the table and writes what `writes()` returns."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from brokerage.codec import state_log
from brokerage.codec.state_log import Stored
from brokerage.domain import core
from brokerage.domain.refdata import RefData
from brokerage.domain.state import TraderState

from .handler import Result, Source, parse, refused, sends_for


@dataclass(slots=True)
class _Pending:
    before: Stored | None  # the table's records when the batch began
    state: TraderState
    write: bool = False
    relog: bool = False  # a redelivery: the local store may be ahead of the changelog


class Batch:
    def __init__(self, refdata: RefData, cache: StoredCache | None = None) -> None:
        self.refdata, self.cache = refdata, cache
        self._pending: dict[bytes, _Pending] = {}

    def apply(self, src: Source, key: bytes | None, value: bytes | None,
              read: Callable[[bytes], bytes | None]) -> Result:
        """One input, in order. `read(key)` reads the table (a trader's records: once per
        batch). The Result's `state` is always None: see `writes()`."""
        value = value or b""
        parsed = parse(src, key, value)
        if isinstance(parsed, Result):
            return parsed
        p = self._pending.get(key) if key else None
        if p is None:
            before = self._load(key, read) if key else None
            # Copied once per batch, then changed in place: the stored state (and the cache's)
            # stays as it was, for the diff in `writes()`.
            p = _Pending(before, before.state.copy() if before else TraderState(parsed.trader_id))
            if key:
                self._pending[key] = p
        changed, outputs = core.apply_in_place(p.state, parsed, self.refdata)
        repeat = not changed and not refused(outputs)
        if changed:
            p.write = True
        elif repeat and p.before:
            p.write = p.relog = True  # log it again (see `handle`)
        return Result(None, sends_for(src, key, value, outputs), type(parsed).__name__, outputs,
                      repeat)

    def state_of(self, key: bytes) -> TraderState | None:
        """A trader's state as the inputs so far left it, if this batch holds it."""
        p = self._pending.get(key)
        return p.state if p is not None else None

    def keys(self) -> list[bytes]:
        return list(self._pending)

    def writes(self, keys: Iterable[bytes] | None = None
               ) -> dict[bytes, list[tuple[bytes, bytes | None]]]:
        """Per trader whose state must be (re)written: its records, in order (None: delete).
        `keys`: only these traders', which the batch then forgets (the table holds them)."""
        if keys is None:
            chosen = list(self._pending.items())
        else:
            chosen = [(k, p) for k in keys if (p := self._pending.pop(k, None)) is not None]
        out = {}
        for key, p in chosen:
            if p.write:
                out[key], stored = state_log.writes(key, p.before, p.state, p.relog)
                if self.cache:
                    self.cache.put(key, stored)
        return out

    def dirty(self) -> list[bytes]:
        """The traders whose state is not written yet."""
        return [k for k, p in self._pending.items() if p.write]

    def _load(self, key: bytes, read: Callable[[bytes], bytes | None]) -> Stored | None:
        raw = read(key)
        if raw is None:
            return None
        hit = self.cache.get(key, raw) if self.cache else None
        return hit or state_log.load(key, read, raw)


class StoredCache:
    """Loaded states by trader, valid while the table still holds the same head: loading
    costs more than applying the rules. Bounded; states are never mutated, so sharing is
    safe."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._items: dict[bytes, Stored] = {}

    def get(self, key: bytes, raw: bytes) -> Stored | None:
        hit = self._items.get(key)
        return hit if hit is not None and hit.raw == raw else None

    def put(self, key: bytes, stored: Stored) -> None:
        if len(self._items) >= self.size:
            self._items.pop(next(iter(self._items)))
        self._items[key] = stored
