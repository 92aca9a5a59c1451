"""The bounded memories of a trader's state (README: Bounded memory per trader): windows of
ids, oldest first, and the closed trades kept. The bounds come from the caller (core)."""

from __future__ import annotations

from typing import Any

from .state import ProcessedRequest, TraderState, closed_count


def remember(window: dict[str, Any], key: str, value: object, bound: int) -> None:
    window[key] = value
    while len(window) > bound:
        del window[next(iter(window))]


def remember_request(window: dict[str, ProcessedRequest], key: str,
                      value: ProcessedRequest, bound: int, money_moves: int) -> None:
    """Past the bound the oldest request id goes, unless it is one of up to
    `money_moves` accepted money moves ahead of every other entry: then the
    oldest other one goes. So an accepted deposit or withdrawal is forgotten only after that
    many newer ones, and the last (bound - that many) ids of any kind are kept; evictions stay
    near the front, which state_change.diff relies on."""
    window[key] = value
    skip = min(money_moves, bound // 2)
    while len(window) > bound:
        victim, seen = None, 0
        for k, p in window.items():
            if not (p.response.accepted and p.response.trade_id is None):
                victim = k
                break
            seen += 1
            if seen > skip:
                break
        del window[next(iter(window)) if victim is None else victim]


def evict_closed(state: TraderState, keep: int) -> None:
    """Keep the last `keep` closed trades (in the trades' order: by creation)."""
    excess = closed_count(state.trades) - keep
    if excess <= 0:
        return
    oldest = []
    for tid, t in state.trades.items():  # the oldest closed are near the front: stop there
        if t.status.terminal:
            oldest.append(tid)
            if len(oldest) == excess:
                break
    for tid in oldest:
        del state.trades[tid]
