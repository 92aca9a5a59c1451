"""What one batch changed in a trader's trades and remembered ids: the `StateChange` records
of a head (schemas/trader_head.avsc, see `state_log`).

`apply(old copy, diff(old, new))` gives `new` again, dict order included: the rules only add
keys at the end, change values in place and delete. Request and execution ids are windows:
added at the end, dropped near the front, never changed. `diff` returns None for anything
else, and the writer then stores a whole snapshot, which is always right.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from brokerage.domain.state import ProcessedRequest, Trade, TraderState
from brokerage.domain.trade import Trades

from . import state_writer as w


@dataclass(slots=True)
class StateChange:
    trades: list[Trade]
    trades_deleted: list[str]
    requests: list[tuple[str, ProcessedRequest]]
    requests_deleted: list[str]
    exec_ids: list[str]
    exec_ids_deleted: list[str]

    def __bool__(self) -> bool:
        return any((self.trades, self.trades_deleted, self.requests, self.requests_deleted,
                    self.exec_ids, self.exec_ids_deleted))


def diff(old: TraderState, new: TraderState) -> StateChange | None:
    requests = _window(old.requests, new.requests)
    execs = _window(old.exec_ids, new.exec_ids)
    if requests is None or execs is None:
        return None
    trades = _trades(old.trades, new.trades)
    if trades is None:
        return None
    return StateChange(trades[0], trades[1], [(k, new.requests[k]) for k in requests[0]],
                       requests[1], execs[0], execs[1])


def _trades(old: dict[str, Trade], new: dict[str, Trade]
            ) -> tuple[list[Trade], list[str]] | None:
    """(trades set, in `new`'s order; ids deleted), or None if not expressible."""
    touched = new.changed_since(old) if isinstance(new, Trades) else None
    if touched is not None:  # a copy of `old` changed in place: look at what it touched
        # Ids new to `old` were added at the end in the order first touched; ids kept
        # did not move (changed_since says None if one was deleted and set again).
        return ([t for k in touched if (t := new.get(k)) is not None and old.get(k) is not t],
                [k for k in touched if k not in new and k in old])
    kept = [k for k in new if k in old]
    if len(kept) < len(new) and list(new)[:len(kept)] != kept:
        return None  # a new trade before a kept one: not expressible
    if kept != [k for k in old if k in new]:
        return None  # kept trades in another order
    return ([t for k, t in new.items() if old.get(k) is not t], [k for k in old if k not in new])


def _window(old: dict[str, Any], new: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """(added at the end, dropped), or None if `new` is not `old` so changed. Drops are near
    the front (the oldest, or one behind the kept money moves: windows.remember_request),
    so the scan for them stops once it has found as many as the sizes say."""
    added = []
    for k in reversed(new):
        if k in old:
            break
        added.append(k)
    added.reverse()
    missing = len(old) - (len(new) - len(added))
    if missing < 0:
        return None
    dropped: list[str] = []
    for k in old if missing else ():
        if k not in new:
            dropped.append(k)
            if len(dropped) == missing:
                break
    return (added, dropped) if len(dropped) == missing else None


def apply(state: TraderState, c: StateChange) -> None:
    """Change `state`'s dicts in place: the caller owns them."""
    for k in c.trades_deleted:
        del state.trades[k]
    for t in c.trades:
        state.trades[t.trade_id] = t
    for k in c.requests_deleted:
        del state.requests[k]
    state.requests.update(c.requests)
    for k in c.exec_ids_deleted:
        del state.exec_ids[k]
    state.exec_ids.update(dict.fromkeys(c.exec_ids))


def encode(c: StateChange, processed_to: Any) -> bytes:
    """Avro binary of one StateChange; each trade and request encoded once (state_writer)."""
    return b"".join((
        w.trades_array(c.trades),
        w.ids_array(c.trades_deleted),
        w.requests_array(c.requests, processed_to),
        w.ids_array(c.requests_deleted),
        w.ids_array(c.exec_ids),
        w.ids_array(c.exec_ids_deleted),
    ))


def from_record(r: dict[str, Any], trade_from: Any, processed_from: Any) -> StateChange:
    return StateChange(
        [trade_from(t) for t in r["trades"]], list(r["trades_deleted"]),
        [(p["request_id"], processed_from(p)) for p in r["requests"]],
        list(r["requests_deleted"]), list(r["exec_ids"]), list(r["exec_ids_deleted"]))
