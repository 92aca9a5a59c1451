"""The trader table written as a head of changes plus snapshots (codec/state_log.py): every
write reads back as the state written, list orders included, through window evictions and
snapshots; any prefix of the record log (a crash between records) reads as a state that was
written; old snapshots are deleted; and the head stays small while the state grows."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from brokerage.codec import avro, state_log
from brokerage.codec.state import state_record, state_to_bytes
from brokerage.codec.state_change import diff
from brokerage.domain import core, refdata
from brokerage.domain.events import Deposit, ExecutionReport, NewTrade
from brokerage.domain.state import TraderState
from brokerage.domain.types import ExecType, OrderType, Side, TimeInForce

RD = refdata.load()
T = "trader-1"
KEY = T.encode()


def states(n: int, seed: int) -> list[TraderState]:
    """One trader's successive states: deposits, limit buys, acks and (partial) fills, so
    trades close, and the request, execution and closed-trade windows all evict."""
    rng, s, out, ex = random.Random(seed), TraderState(T), [], 0
    for d in range(30):
        s, _ = core.apply(s, Deposit(f"dep-{d}", T, RD.max_cash_amount_minor), RD)
    out.append(s)
    for i in range(n):
        s, outs = core.apply(s, NewTrade(f"r{i}", T, Side.BUY, "AAPL", 100, OrderType.LIMIT,
                                         10_000, TimeInForce.GTC, at_ms=i), RD)
        tid = outs[0].trade_id  # type: ignore[union-attr]
        for kind, qty in [(ExecType.NEW, 0)] + [(ExecType.TRADE, 50)] * rng.choice([0, 2, 2]):
            ex += 1
            s, _ = core.apply(s, ExecutionReport(f"x{ex}", T, tid, kind, 0, qty,
                                                 9_990 if qty else 0, at_ms=i), RD)
        if rng.random() < 0.5:  # several events per write, as in a batch
            out.append(s)
    return out


def write_all(seq: list[TraderState], relog_every: int = 0
              ) -> tuple[dict[bytes, bytes], list[tuple[bytes, bytes | None]], list[int]]:
    table: dict[bytes, bytes] = {}
    log: list[tuple[bytes, bytes | None]] = []
    heads: list[int] = []  # log position just after each state's head record
    before = None
    for i, s in enumerate(seq):
        relog = bool(relog_every and i % relog_every == 0)
        records, before = state_log.writes(KEY, before, s, relog)
        for k, v in records:
            log.append((k, v))
            if k == KEY:
                heads.append(len(log))
            if v is None:
                table.pop(k, None)
            else:
                table[k] = v
        if i % 5 == 0 or i == len(seq) - 1:
            loaded = state_log.load(KEY, table.get)
            assert loaded is not None and state_record(loaded.state) == state_record(s)
    return table, log, heads


def test_every_write_reads_back_through_evictions_and_snapshots() -> None:
    seq = states(1_300, 1)
    last = seq[-1]
    assert len(last.requests) == 500 and len(last.exec_ids) == 2_000  # windows full
    assert sum(t.status.terminal for t in last.trades.values()) == 50
    table, log, _ = write_all(seq)
    snapshots = [k for k in table if not state_log.is_trader_key(k)]
    assert 1 <= len(snapshots) <= 2  # old ones deleted (the newest two may both remain)
    assert sum(not state_log.is_trader_key(k) and v is not None for k, v in log) > 5
    whole = len(state_to_bytes(last))
    assert len(table[KEY]) < whole / 2  # the point: a write is much smaller than the state


@pytest.mark.parametrize("relog_every", [0, 3])
def test_a_crash_between_any_two_records_leaves_a_state_that_was_written(relog_every: int
                                                                         ) -> None:
    seq = states(300, 2)
    _, log, heads = write_all(seq, relog_every)
    for cut in sorted(random.Random(3).sample(range(1, len(log) + 1), 60)):
        table: dict[bytes, bytes] = {}
        for k, v in log[:cut]:
            if v is None:
                table.pop(k, None)
            else:
                table[k] = v
        done = sum(h <= cut for h in heads)  # states whose head is in the prefix
        loaded = state_log.load(KEY, table.get)
        assert loaded is not None and state_record(loaded.state) == state_record(seq[done - 1])


def test_a_relog_never_builds_on_an_earlier_snapshot() -> None:
    seq = states(200, 4)
    _, before = state_log.writes(KEY, None, seq[0])
    for s in seq[1:]:
        records, before = state_log.writes(KEY, before, s)
    assert before.head is not None and before.head.snapshot_seq >= 0
    records, again = state_log.writes(KEY, before, before.state, relog=True)
    assert records[0][0] == state_log.snapshot_key(KEY, again.head.seq)  # type: ignore[union-attr]
    assert [k for k, v in records if v is None] == [
        state_log.snapshot_key(KEY, s) for s in (*before.head.garbage, before.head.snapshot_seq)]


def test_a_change_the_head_cannot_express_is_a_snapshot() -> None:
    old = states(5, 5)[-1]
    first = next(iter(old.trades))
    moved = replace(old, trades={k: v for k, v in old.trades.items() if k != first}
                    | {first: old.trades[first]})  # same trades, one moved last
    assert diff(old, moved) is None
    _, before = state_log.writes(KEY, None, old)
    records, _ = state_log.writes(KEY, before, moved)
    assert records[0][0] == state_log.snapshot_key(KEY, 2)


def test_the_head_is_plain_avro_and_a_whole_state_still_reads() -> None:
    seq = states(40, 6)
    table, _, _ = write_all(seq)
    rec = avro.decode("trader_head", table[KEY])  # any Avro reader can read it
    assert rec["trader_id"] == T and rec["cash_blocked"] == seq[-1].cash_blocked
    assert avro.encode("trader_head", rec) == table[KEY]
    legacy = {KEY: state_to_bytes(seq[-1])}  # written before this layout
    loaded = state_log.load(KEY, legacy.get)
    assert loaded is not None and loaded.head is None and loaded.state == seq[-1]
    records, _ = state_log.writes(KEY, loaded, seq[-1])
    assert [k for k, _ in records] == [state_log.snapshot_key(KEY, 1), KEY]


def test_a_head_without_its_snapshot_is_an_error() -> None:
    table, _, _ = write_all(states(300, 7))
    for k in [k for k in table if not state_log.is_trader_key(k)]:
        del table[k]
    with pytest.raises(state_log.MissingSnapshot):
        state_log.load(KEY, table.get)
