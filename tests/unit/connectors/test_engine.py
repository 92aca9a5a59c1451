"""The venue's engine: matching rules, cancel/replace, idempotency, knobs, journal replay."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from brokerage.domain.refdata import load
from connectors.venue.engine import Engine
from connectors.venue.journal import Journal, restore
from connectors.venue.market_maker import MarketMakerConfig
from connectors.venue.protocol import CONFIG, EOD, Instr, Report

REF = load()
NO_MM = MarketMakerConfig(levels=0)


def bare(**kw: object) -> Engine:
    return Engine(REF, seed=7, mm=NO_MM, **kw)  # type: ignore[arg-type]


def since(e: Engine, seq: int) -> list[Report]:
    return e.reports_after(seq, 10_000)


def brief(reports: list[Report]) -> list[tuple[str, str, int, int, int, int]]:
    return [(r.exec_type, r.client_order_id, r.last_qty, r.last_price, r.cum_qty, r.leaves_qty)
            for r in reports]


def test_price_time_priority_and_partial_fills_across_resting_orders() -> None:
    e = bare()
    e.submit("s1", "AAPL", "SELL", 10, 19_010)
    e.submit("s2", "AAPL", "SELL", 10, 19_000)
    e.submit("s3", "AAPL", "SELL", 10, 19_000)
    mark = e.seq
    assert e.submit("b1", "AAPL", "BUY", 25, 19_010)[1]["status"] == "FILLED"
    assert brief(since(e, mark)) == [
        ("NEW", "b1", 0, 0, 0, 25),
        ("TRADE", "b1", 10, 19_000, 10, 15), ("TRADE", "s2", 10, 19_000, 10, 0),
        ("TRADE", "b1", 10, 19_000, 20, 5), ("TRADE", "s3", 10, 19_000, 10, 0),
        ("TRADE", "b1", 5, 19_010, 25, 0), ("TRADE", "s1", 5, 19_010, 5, 5),
    ]
    [left] = e.open_orders()
    assert (left["client_order_id"], left["status"], left["leaves_qty"]) == \
        ("s1", "PARTIALLY_FILLED", 5)


def test_seq_and_exec_ids_are_gapless_and_unique() -> None:
    e = Engine(REF, seed=1)
    for k in range(50):
        e.submit(f"o{k}", "AAPL", "BUY" if k % 2 else "SELL", 30, None, "MARKET", "IOC")
    reps = since(e, 0)
    assert [r.seq for r in reps] == list(range(1, e.seq + 1))
    assert len({r.exec_id for r in reps}) == len(reps)
    assert all(r.exchange_order_id.startswith("X") for r in reps)


def test_market_order_sweeps_several_levels_of_the_market_maker() -> None:
    e = Engine(REF, seed=1)
    asks = e.books["AAPL"].depth()["asks"]
    assert len(asks) == 5 and all(q == 100 for _, q in asks)
    e.submit("m", "AAPL", "BUY", 250, None, "MARKET", "DAY")
    trades = [r for r in since(e, 0) if r.exec_type == "TRADE"]
    assert [(r.last_qty, r.last_price) for r in trades] == [
        (100, asks[0][0]), (100, asks[1][0]), (50, asks[2][0])]
    # the levels taken in full are posted again
    assert e.books["AAPL"].depth()["asks"][:3] == [(asks[0][0], 100), (asks[1][0], 100),
                                                   (asks[2][0], 50)]


def test_market_protection_price_is_never_crossed() -> None:
    e = Engine(REF, seed=1)
    asks = e.books["AAPL"].depth()["asks"]
    e.submit("m", "AAPL", "BUY", 250, asks[1][0], "MARKET", "DAY")
    reps = since(e, 0)
    assert [r.last_price for r in reps if r.exec_type == "TRADE"] == [asks[0][0], asks[1][0]]
    assert (reps[-1].exec_type, reps[-1].cum_qty, reps[-1].leaves_qty) == ("EXPIRED", 200, 0)


def test_a_bid_resting_through_the_ladder_trades_when_the_market_maker_requotes() -> None:
    e = Engine(REF, seed=1)
    asks = e.books["AAPL"].depth()["asks"]
    limit = asks[-1][0] + 50
    e.submit("b", "AAPL", "BUY", 600, limit)  # sweeps the 5 x 100 offered; 100 rest
    # The first quote posted again trades with the rest at the bid's own price, at once;
    # the other four are posted, and the one taken in full comes back after the next
    # instruction on the symbol.
    assert brief(since(e, 0))[-1] == ("TRADE", "b", 100, limit, 600, 0)
    assert e.orders["b"].status == "FILLED" and e.open_orders() == []
    assert e.books["AAPL"].depth()["asks"] == asks[1:]
    e.submit("s", "AAPL", "SELL", 1, asks[-1][0] * 2)
    assert e.books["AAPL"].depth()["asks"][:5] == asks


def test_a_bid_resting_at_the_offer_s_own_price_waits_for_another_trader() -> None:
    e = Engine(REF, seed=1)
    asks = e.books["AAPL"].depth()["asks"]
    e.submit("b", "AAPL", "BUY", 150, asks[0][0])  # takes the 100 offered; 50 rest
    e.submit("x", "AAPL", "BUY", 1, asks[0][0] // 2)  # a later instruction: no requote
    assert (e.orders["b"].status, e.orders["b"].cum_qty) == ("PARTIALLY_FILLED", 100)
    assert e.books["AAPL"].depth()["asks"] == asks[1:]  # not locked at b's price
    e.submit("s", "AAPL", "SELL", 50, asks[0][0])
    assert (e.orders["b"].status, e.orders["s"].status) == ("FILLED", "FILLED")
    e.submit("x2", "AAPL", "BUY", 1, asks[0][0] // 2)
    assert e.books["AAPL"].depth()["asks"] == asks


def test_market_order_with_nothing_to_match_expires() -> None:
    e = bare()
    assert e.submit("m", "AAPL", "BUY", 5, None, "MARKET")[1]["status"] == "EXPIRED"
    assert [r.exec_type for r in since(e, 0)] == ["NEW", "EXPIRED"]
    assert e.open_orders() == []


def test_ioc_fills_what_it_can_and_expires_the_rest() -> None:
    e = bare()
    e.submit("s", "AAPL", "SELL", 4, 19_000)
    e.submit("b", "AAPL", "BUY", 10, 19_000, "LIMIT", "IOC")
    assert brief(since(e, 1))[-2:] == [("TRADE", "s", 4, 19_000, 4, 0),
                                       ("EXPIRED", "b", 0, 0, 4, 0)]
    assert e.books["AAPL"].depth() == {"bids": [], "asks": []}


def test_fok_is_all_or_nothing() -> None:
    e = bare()
    e.submit("s1", "AAPL", "SELL", 4, 19_000)
    e.submit("s2", "AAPL", "SELL", 4, 19_001)
    mark = e.seq
    assert e.submit("f1", "AAPL", "BUY", 10, 19_001, "LIMIT", "FOK")[1]["status"] == "EXPIRED"
    assert [r.exec_type for r in since(e, mark)] == ["NEW", "EXPIRED"]
    assert e.books["AAPL"].depth()["asks"] == [(19_000, 4), (19_001, 4)]
    assert e.submit("f2", "AAPL", "BUY", 8, 19_001, "LIMIT", "FOK")[1]["status"] == "FILLED"
    assert [(r.exec_type, r.last_qty) for r in since(e, mark)][-4:] == [
        ("TRADE", 4), ("TRADE", 4), ("TRADE", 4), ("TRADE", 4)]


def test_day_and_gtc_rest_and_end_of_day_expires_day_only() -> None:
    e = bare()
    e.submit("d", "AAPL", "BUY", 5, 18_000, "LIMIT", "DAY")
    e.submit("g", "AAPL", "BUY", 5, 18_000, "LIMIT", "GTC")
    assert {o["client_order_id"] for o in e.open_orders()} == {"d", "g"}
    mark = e.seq
    assert e.end_of_day() == (200, {"expired": 1})
    assert brief(since(e, mark)) == [("EXPIRED", "d", 0, 0, 0, 0)]
    assert [o["client_order_id"] for o in e.open_orders()] == ["g"]
    assert e.books["AAPL"].depth()["bids"] == [(18_000, 5)]


def test_invalid_orders_are_rejected_on_the_stream() -> None:
    e = bare()
    cases = {"u": ("ZZZ", 1, 100), "t": ("TSLA", 1, 25_001), "l": ("BRK", 5, 45_000),
             "z": ("AAPL", 0, 100), "n": ("AAPL", 1, None)}
    for cid, (sym, qty, px) in cases.items():
        assert e.submit(cid, sym, "BUY", qty, px)[1]["status"] == "REJECTED"
    reps = since(e, 0)
    assert [(r.exec_type, r.client_order_id) for r in reps] == [
        ("REJECTED", c) for c in cases]
    assert all(r.text for r in reps)


def test_brokerage_orders_match_each_other() -> None:
    e = Engine(REF, seed=1)  # inside the market maker's spread
    e.submit("s", "AAPL", "SELL", 7, 19_000)
    e.submit("b", "AAPL", "BUY", 7, 19_005)
    assert [(r.client_order_id, r.last_price) for r in since(e, 0)
            if r.exec_type == "TRADE"] == [("b", 19_000), ("s", 19_000)]


def test_cancel_and_cancel_rejects() -> None:
    e = bare()
    e.submit("o:0", "AAPL", "BUY", 5, 18_000)
    assert e.cancel("o:0", "o:x1")[1]["status"] == "CANCELED"
    r = since(e, 0)[-1]
    assert (r.exec_type, r.client_order_id, r.orig_client_order_id, r.leaves_qty) == \
        ("CANCELED", "o:x1", "o:0", 0)
    assert e.books["AAPL"].depth()["bids"] == [] and e.open_orders() == []
    assert e.cancel("o:0", "o:x2")[1]["status"] == "CANCEL_REJECTED"
    assert since(e, 0)[-1].exec_type == "CANCEL_REJECTED"
    seq = e.seq
    assert e.cancel("never", "o:x3")[0] == 404
    assert e.replace("never", "o:r4", 3)[0] == 404
    assert e.seq == seq and e.precheck(Instr("cancel", "o:x3", orig="never")) is not None


def test_replace_lower_quantity_keeps_priority() -> None:
    e = bare()
    e.submit("a:0", "AAPL", "SELL", 10, 19_000)
    e.submit("b:0", "AAPL", "SELL", 10, 19_000)
    assert e.replace("a:0", "a:r1", 6)[1]["status"] == "NEW"
    e.submit("t", "AAPL", "BUY", 6, 19_000)
    assert [r.client_order_id for r in since(e, 0) if r.exec_type == "TRADE"] == ["t", "a:r1"]


@pytest.mark.parametrize("qty,price", [(12, 19_000), (10, 19_001)])
def test_replace_up_or_to_a_new_price_loses_priority(qty: int, price: int) -> None:
    e = bare()
    e.submit("a:0", "AAPL", "SELL", 10, 19_000)
    e.submit("b:0", "AAPL", "SELL", 10, 19_001 if price != 19_000 else 19_000)
    e.replace("a:0", "a:r1", qty, price)
    e.submit("t", "AAPL", "BUY", 5, price)
    assert [r.client_order_id for r in since(e, 0) if r.exec_type == "TRADE"] == ["t", "b:0"]


def test_replace_to_another_time_in_force_loses_priority_and_keeps_it() -> None:
    e = bare()
    e.submit("a:0", "AAPL", "SELL", 10, 19_000)  # DAY
    e.submit("b:0", "AAPL", "SELL", 10, 19_000)
    assert e.replace("a:0", "a:r1", time_in_force="GTC")[1]["status"] == "NEW"
    [a] = [o for o in e.open_orders() if o["client_order_id"] == "a:r1"]
    assert (a["time_in_force"], a["quantity"], a["limit_price"]) == ("GTC", 10, 19_000)
    e.submit("t", "AAPL", "BUY", 5, 19_000)
    assert [r.client_order_id for r in since(e, 0) if r.exec_type == "TRADE"] == ["t", "b:0"]
    assert e.end_of_day()[1] == {"expired": 1}  # b:0 (DAY) expires, a:r1 (GTC) stays
    assert [o["client_order_id"] for o in e.open_orders()] == ["a:r1"]


def test_replace_to_ioc_trades_what_crosses_and_expires_the_rest() -> None:
    e = bare()
    e.submit("s", "AAPL", "SELL", 4, 19_000)
    e.submit("a:0", "AAPL", "BUY", 10, 18_000)
    mark = e.seq
    e.replace("a:0", "a:r1", 10, 19_000, "IOC")
    assert [r[2] for r in since(e, mark)] == ["REPLACED", "TRADE", "TRADE", "EXPIRED"]
    assert e.open_orders() == []


def test_replace_reports_and_rejects() -> None:
    e = bare()
    e.submit("s", "AAPL", "SELL", 4, 19_000)
    e.submit("a:0", "AAPL", "BUY", 10, 19_000)  # fills 4, rests 6
    mark = e.seq
    assert e.replace("a:0", "a:r1", 4)[1]["status"] == "REPLACE_REJECTED"  # <= cum_qty
    assert e.replace("a:0", "a:r2", 8, 19_003)[1]["status"] == "PARTIALLY_FILLED"
    assert brief(since(e, mark)) == [("REPLACE_REJECTED", "a:r1", 0, 0, 4, 6),
                                     ("REPLACED", "a:r2", 0, 0, 4, 4)]
    [o] = e.open_orders()
    assert (o["client_order_id"], o["quantity"], o["limit_price"]) == ("a:r2", 8, 19_003)
    e.submit("s2", "AAPL", "SELL", 4, 19_000)
    assert since(e, 0)[-2][:4] == (e.seq - 1, f"E{e.seq - 1}", "TRADE", "s2")
    assert e.replace("a:r2", "a:r3", 10)[1]["status"] == "REPLACE_REJECTED"  # filled
    assert e.replace("a:0", "a:r4", 20, 18_000)[1]["status"] == "REPLACE_REJECTED"


def test_replace_to_a_crossing_price_trades() -> None:
    e = bare()
    e.submit("s", "AAPL", "SELL", 4, 19_000)
    e.submit("a:0", "AAPL", "BUY", 4, 18_000)
    e.replace("a:0", "a:r1", 4, 19_000)
    assert since(e, 0)[-2:][0][2:4] == ("TRADE", "a:r1")
    assert e.open_orders() == []


def test_idempotent_resubmission_and_conflicts() -> None:
    e = bare()
    first = e.submit("o", "AAPL", "BUY", 5, 18_000)
    seq = e.seq
    again = e.submit("o", "AAPL", "BUY", 5, 18_000)
    assert again == (200, {**first[1], "duplicate": True})
    assert e.seq == seq and len(e.open_orders()) == 1
    assert e.submit("o", "AAPL", "BUY", 6, 18_000)[0] == 409
    assert e.cancel("o", "o")[0] == 409  # an instruction id used for another instruction
    c = e.cancel("o", "x")
    assert e.cancel("o", "x") == (200, {**c[1], "duplicate": True})
    assert e.seq == seq + 1


def test_reject_knob_is_deterministic_per_seed() -> None:
    def rejected(seed: int) -> set[str]:
        e = Engine(REF, seed=seed, reject_rate=0.3, mm=NO_MM)
        for k in range(400):
            e.submit(f"o{k}", "AAPL", "BUY", 1, 18_000)
        return {r.client_order_id for r in since(e, 0) if r.exec_type == "REJECTED"}

    assert rejected(1) == rejected(1)
    assert rejected(1) != rejected(2)
    assert 80 < len(rejected(1)) < 160


def test_report_window_is_bounded() -> None:
    e = bare(max_reports=10)
    for k in range(30):
        e.submit(f"o{k}", "ZZZ", "BUY", 1, 1)
    assert e.first_seq == 21
    assert [r.seq for r in e.reports_after(0, 100)] == list(range(21, 31))
    assert [r.seq for r in e.reports_after(25, 2)] == [26, 27]
    assert e.reports_after(30, 5) == []


def test_instruction_window_keeps_open_orders() -> None:
    e = bare(max_instructions=5)
    e.submit("live", "AAPL", "BUY", 1, 18_000)
    for k in range(20):
        e.submit(f"o{k}", "ZZZ", "BUY", 1, 1)
    assert len(e.done) <= 6 and "live" in e.done and "o0" not in e.orders
    assert e.submit("live", "AAPL", "BUY", 1, 18_000)[1]["duplicate"] is True


def script() -> list[Instr]:
    out = []
    for k in range(120):
        side = "BUY" if k % 3 else "SELL"
        tif = ("DAY", "GTC", "IOC", "FOK")[k % 4]
        kind = "MARKET" if k % 7 == 0 else "LIMIT"
        px = None if kind == "MARKET" else 19_000 + (k % 11 - 5) * 3
        out.append(Instr("new", f"t{k}:0", symbol="AAPL", side=side, order_type=kind, tif=tif,
                         quantity=10 + k % 90, limit_price=px))
        if k % 5 == 1:
            out.append(Instr("replace", f"t{k - 1}:r1", orig=f"t{k - 1}:0", quantity=40,
                             limit_price=19_001))
        if k % 6 == 2:
            out.append(Instr("cancel", f"t{k - 2}:x1", orig=f"t{k - 2}:0"))
        if k == 60:
            out += [Instr(CONFIG, reject_rate=0.2), Instr(EOD)]
    return out


def test_journal_replay_after_a_crash_rebuilds_the_same_state(tmp_path: Path) -> None:
    snap = tmp_path / "venue.snap"
    engine, journal = restore(REF, snap, seed=3, reject_rate=0.1)
    instrs = script()
    for k, i in enumerate(instrs):
        journal.append([i])  # durable first, then applied
        engine.apply(i)
        if k == 70:
            journal.compact(engine.to_state())
    before, reports = engine.to_state(), since(engine, 0)
    assert len(reports) > 200
    del engine, journal  # "crash": nothing closed, nothing flushed beyond the journal
    (snap.with_name("venue.snap.journal")).open("ab").write(b'{"n":999,"op":"ne')  # torn
    again, j2 = restore(REF, snap, seed=999, reject_rate=0.2)
    assert again.to_state()["reports"] == before["reports"]
    assert again.to_state() == {**before}
    assert since(again, 0) == reports
    # it carries on from the same point: the next report is seq + 1
    again.apply(Instr("new", "after", symbol="AAPL", side="BUY", order_type="LIMIT", tif="DAY",
                      quantity=1, limit_price=18_000))
    assert since(again, 0)[-1].seq == reports[-1].seq + 1
    j2.close()


def test_snapshot_state_round_trips() -> None:
    e = Engine(REF, seed=5)
    for i in script():
        e.apply(i)
    clone = Engine.from_state(REF, e.to_state())
    assert clone.to_state() == e.to_state()
    nxt = Instr("new", "z", symbol="AAPL", side="BUY", order_type="MARKET", tif="IOC",
                quantity=500)
    assert clone.apply(nxt) == e.apply(nxt)
    assert since(clone, 0) == since(e, 0)


def test_journal_refuses_corruption_in_the_middle(tmp_path: Path) -> None:
    snap = tmp_path / "s"
    _, j = restore(REF, snap, seed=1, reject_rate=0.0)
    j.append([Instr(EOD)])
    j.close()
    path = snap.with_name("s.journal")
    path.write_bytes(b"garbage\n" + path.read_bytes())
    with pytest.raises(ValueError):
        Journal(snap).load()


def test_engine_throughput_smoke() -> None:
    e = Engine(REF, seed=1)
    n = 50_000
    t0 = time.perf_counter()
    for k in range(n):
        side = "BUY" if k % 2 else "SELL"
        if k % 10 == 0:
            e.submit(f"o{k}", "AAPL", side, 50, None, "MARKET", "IOC")
        else:
            e.submit(f"o{k}", "AAPL", side, 10, 19_000 + (k % 21 - 10), "LIMIT", "DAY")
        if k % 4 == 3:
            e.cancel(f"o{k - 2}", f"c{k}")
    dt = time.perf_counter() - t0
    print(f"\nengine: {n / dt:,.0f} orders/s ({e.seq} reports, {len(e.open)} open)")


def test_an_instruction_journals_only_the_fields_it_has_and_reads_back_equal() -> None:
    full = Instr("new", "c-1", "", "AAPL", "BUY", "LIMIT", "DAY", 100, 15_000, 0.0)
    short = Instr("cancel", "c-2", "c-1")
    assert full.to_dict() == {"op": "new", "id": "c-1", "symbol": "AAPL", "side": "BUY",
                              "order_type": "LIMIT", "tif": "DAY", "quantity": 100,
                              "limit_price": 15_000, "reject_rate": 0.0}
    assert short.to_dict() == {"op": "cancel", "id": "c-2", "orig": "c-1"}
    assert [Instr.from_dict(i.to_dict()) for i in (full, short)] == [full, short]
