"""The bench's request mix: the traders are funded first, then mostly new limit orders, some
amends and cancels, deliberate duplicates and some rejects; every request carries its id and
a new order its deterministic trade id; the PostgreSQL baseline gets the same requests."""

from __future__ import annotations

from brokerage.bench import mix
from brokerage.bench.config import BenchConfig
from brokerage.bench.pgrun import row_of
from brokerage.bench.pgschema import ddl
from brokerage.bench.runs import plan
from brokerage.codec import avro
from brokerage.domain import refdata
from brokerage.domain.requests import trade_id_for

RD = refdata.load()


def test_deposits_first_then_a_realistic_mix() -> None:
    w = mix.build(5_000, 100, RD, seed=3)
    assert len(w.deposits) == 200 and {r.kind for r in w.deposits} == {"Deposit"}
    assert len(w.mix) == 5_000
    k = mix.kinds(w.mix)
    assert k["NewTrade"] > 0.5 * len(w.mix)
    assert k["AmendTrade"] > 0 and k["CancelTrade"] > 0 and k["Duplicate"] > 0
    rejects = [r for r in w.mix if r.kind == "NewTrade"
               and avro.decode("trade_request", r.value)["body"][1]["quantity"] > 1_000_000]
    assert rejects, "some new orders are beyond the notional limit"


def test_ids_match_what_the_worker_will_answer_with() -> None:
    w = mix.build(500, 20, RD, seed=1)
    for r in w.deposits + w.mix:
        rec = avro.decode("trade_request", r.value)
        assert r.request_id == rec["request_id"] and r.key == rec["trader_id"].encode()
        is_new = rec["body"][0].endswith("NewTrade")
        assert r.trade_id == (trade_id_for(rec["trader_id"], r.request_id) if is_new else "")


def test_postgres_rows_are_the_same_requests() -> None:
    w = mix.build(300, 10, RD, seed=2)
    rows = [row_of(r) for r in w.deposits + w.mix]
    assert [r[1] for r in rows] == [r.request_id for r in w.deposits + w.mix]
    new = next(i for i, r in enumerate(w.mix) if r.kind == "NewTrade")
    assert rows[len(w.deposits) + new][3] == w.mix[new].trade_id
    assert {r[0] for r in rows} <= {"Deposit", "NewTrade", "AmendTrade", "CancelTrade"}
    text = ddl(RD)
    assert "FOR UPDATE" in text and "{" not in text


def test_phases_take_consecutive_ranges() -> None:
    cfg = BenchConfig(requests=100, rates=[10.0, 20.0], seconds=2, warmup_seconds=0)
    assert plan(cfg, 1_000) == [("open 10/s", 10.0, (0, 20)), ("open 20/s", 20.0, (20, 60)),
                                ("closed loop", None, (60, 160))]
    assert plan(cfg, 1_000, open_loop=False) == [("closed loop", None, (0, 100))]
    warm = BenchConfig(requests=100, rates=[10.0], seconds=2, warmup_seconds=3, warmup_rate=5)
    assert plan(warm, 1_000) == [("warm-up (mix)", 5.0, (0, 15)), ("open 10/s", 10.0, (15, 35)),
                                 ("closed loop", None, (35, 135))]
    assert plan(warm, 1_000, open_loop=False) == [("warm-up (mix)", 5.0, (0, 15)),
                                                  ("closed loop", None, (15, 115))]
    assert mix.slices(50, [20, 40]) == [(0, 20), (20, 50)]


def test_a_references_range_is_repeated_to_at_least_the_count_asked() -> None:
    w = mix.build(1_000, 20, RD, seed=2)
    reqs, a, b = mix.repeated(w, 100, 400, 1_000)
    assert reqs[:a] == w.deposits and b == len(reqs) == a + 4 * 300
    assert reqs[a:b] == w.mix[100:400] * 4
    once, a1, b1 = mix.repeated(w, 100, 400, 0)
    assert once[a1:b1] == w.mix[100:400]
