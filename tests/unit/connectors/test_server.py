"""The venue over HTTP, in-process on a free 127.0.0.1 port, plus a real kill -9 of run_sim."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from brokerage.domain.refdata import load
from connectors.venue.engine import Engine
from connectors.venue.faults import Faults
from connectors.venue.journal import restore
from connectors.venue.market_maker import MarketMakerConfig
from connectors.venue.protocol import parse_cancel, parse_new
from connectors.venue.server import SimServer
from connectors.venue.venue import Venue

REF = load()


def order(cid: str, qty: int = 5, price: int | None = 18_000, **kw: Any) -> dict[str, Any]:
    return {"client_order_id": cid, "symbol": "AAPL", "side": "BUY", "order_type": "LIMIT",
            "time_in_force": "DAY", "quantity": qty, "limit_price": price, **kw}


@asynccontextmanager
async def sim(snapshot: Path | None = None, **faults: Any) -> AsyncIterator[SimServer]:
    if snapshot is None:
        venue = Venue(Engine(REF, seed=1, mm=MarketMakerConfig(levels=2)))
    else:
        venue = Venue(*restore(REF, snapshot, seed=1, reject_rate=0.0))
    server = SimServer(venue, Faults(seed=1, **faults))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 60))


def test_submit_then_reports_on_the_stream() -> None:
    async def go() -> None:
        async with sim() as s, httpx.AsyncClient(base_url=s.url) as c:
            r = await c.post("/orders", json=order("a:0"))
            assert r.status_code == 200
            assert r.json() == {"client_order_id": "a:0", "exchange_order_id": "X1",
                                "status": "NEW", "duplicate": False}
            again = await c.post("/orders", json=order("a:0"))
            assert again.json()["duplicate"] is True
            assert (await c.post("/orders", json=order("a:0", qty=6))).status_code == 409
            assert (await c.post("/orders", json={"client_order_id": "b"})).status_code == 400
            assert (await c.post("/orders", content=b"{nope")).status_code == 400
            assert (await c.post("/orders/zz/cancel", json={"client_order_id": "x"})).status_code \
                == 404
            mkt = order("m:0", qty=150, price=None, order_type="MARKET", time_in_force="IOC")
            assert (await c.post("/orders", json=mkt)).json()["status"] == "FILLED"
            cx = await c.post("/orders/a:0/cancel", json={"client_order_id": "a:x1"})
            assert cx.json()["status"] == "CANCELED"
            body = (await c.get("/executions", params={"after": 0})).json()
            reps = body["reports"]
            assert [r["seq"] for r in reps] == list(range(1, len(reps) + 1))
            assert body["last_seq"] == len(reps) and body["first_seq"] == 1
            assert [r["exec_type"] for r in reps] == ["NEW", "NEW", "TRADE", "TRADE",
                                                      "CANCELED"]
            assert reps[3]["cum_qty"] == 150 and reps[3]["leaves_qty"] == 0
            page = (await c.get("/executions", params={"after": 2, "limit": 2})).json()
            assert [r["seq"] for r in page["reports"]] == [3, 4]
            assert (await c.get("/orders", params={"open": "true"})).json() == {"orders": []}
            assert (await c.get("/healthz")).json() == {  # one incarnation on both
                "status": "ok", "last_seq": 5, "incarnation": body["incarnation"]}

    run(go)


def test_long_poll_wakes_on_a_new_report_and_times_out_otherwise() -> None:
    async def go() -> None:
        async with sim() as s, httpx.AsyncClient(base_url=s.url, timeout=20) as c:
            t0 = time.monotonic()
            empty = await c.get("/executions", params={"after": 0, "wait_ms": 300})
            assert empty.json()["reports"] == [] and time.monotonic() - t0 >= 0.29
            poll = asyncio.create_task(c.get("/executions",
                                             params={"after": 0, "wait_ms": 10_000}))
            await asyncio.sleep(0.3)
            assert not poll.done()
            t1 = time.monotonic()
            await c.post("/orders", json=order("a:0"))
            got = (await poll).json()["reports"]
            assert [r["client_order_id"] for r in got] == ["a:0"]
            assert time.monotonic() - t1 < 2

    run(go)


def test_outage_refuses_connections_then_listens_again() -> None:
    async def go() -> None:
        async with sim() as s:
            async with httpx.AsyncClient(base_url=s.url) as c:
                assert (await c.post("/admin/outage", json={"seconds": 0.8})).status_code == 200
            await asyncio.sleep(0.2)
            async with httpx.AsyncClient(base_url=s.url) as c:
                with pytest.raises(httpx.ConnectError):
                    await c.get("/healthz")
            await asyncio.sleep(1.0)
            async with httpx.AsyncClient(base_url=s.url) as c:
                assert (await c.get("/healthz")).status_code == 200
                assert (await c.post("/orders", json=order("a:0"))).status_code == 200

    run(go)


def test_error_knob_answers_503_without_applying_and_latency_knob_delays() -> None:
    async def go() -> None:
        async with sim(error_rate=1.0) as s, httpx.AsyncClient(base_url=s.url) as c:
            assert (await c.post("/orders", json=order("a:0"))).status_code == 503
            assert (await c.get("/executions")).status_code == 503
            f = await c.post("/admin/faults", json={"error_rate": 0, "latency_ms": 300})
            assert f.json() == {"latency_ms": 300, "error_rate": 0.0, "reject_rate": 0.0}
            assert (await c.get("/executions")).json()["reports"] == []
            assert s.venue.engine.seq == 0 and s.venue.engine.open_orders() == []
            t0 = time.monotonic()
            r = await c.post("/orders", json=order("a:0"))
            assert r.json()["duplicate"] is False and time.monotonic() - t0 >= 0.29
            assert (await c.post("/admin/faults", json={"error_rate": 2})).status_code == 400

    run(go)


def test_reject_knob_and_end_of_day_over_http() -> None:
    async def go() -> None:
        async with sim() as s, httpx.AsyncClient(base_url=s.url) as c:
            await c.post("/orders", json=order("day:0"))
            await c.post("/orders", json=order("gtc:0", time_in_force="GTC"))
            assert (await c.post("/admin/end-of-day")).json() == {"expired": 1}
            await c.post("/admin/faults", json={"reject_rate": 1.0})
            assert (await c.post("/orders", json=order("r:0"))).json()["status"] == "REJECTED"
            reps = (await c.get("/executions")).json()["reports"]
            assert [(r["exec_type"], r["client_order_id"]) for r in reps][-2:] == [
                ("EXPIRED", "day:0"), ("REJECTED", "r:0")]
            book = (await c.get("/admin/book/AAPL")).json()
            assert [18_000, 5] in book["bids"] and len(book["asks"]) == 2

    run(go)


def test_replace_changes_the_time_in_force_over_http() -> None:
    async def go() -> None:
        async with sim() as s, httpx.AsyncClient(base_url=s.url) as c:
            await c.post("/orders", json=order("a:0"))
            body = {"client_order_id": "a:r1", "time_in_force": "GTC"}
            assert (await c.post("/orders/a:0/replace", json=body)).json()["status"] == "NEW"
            [o] = (await c.get("/orders", params={"open": "true"})).json()["orders"]
            assert (o["client_order_id"], o["time_in_force"]) == ("a:r1", "GTC")
            bad = {"client_order_id": "a:r2", "time_in_force": "SOMETIMES"}
            assert (await c.post("/orders/a:r1/replace", json=bad)).status_code == 400
            assert (await c.post("/admin/end-of-day")).json() == {"expired": 0}

    run(go)


def test_journaled_venue_restarts_with_the_same_log(tmp_path: Path) -> None:
    snap = tmp_path / "venue.snap"

    async def first() -> list[dict[str, Any]]:
        async with sim(snap) as s, httpx.AsyncClient(base_url=s.url) as c:
            results = await asyncio.gather(*(c.post("/orders", json=order(
                f"o{k}:0", qty=40, price=None if k % 3 == 0 else 18_990 + k,
                order_type="MARKET" if k % 3 == 0 else "LIMIT",
                side="SELL" if k % 2 else "BUY")) for k in range(30)))
            assert all(r.status_code == 200 for r in results)
            reports: list[dict[str, Any]] = (await c.get("/executions",
                                                        params={"limit": 5000})).json()["reports"]
            incarnations.append((await c.get("/healthz")).json()["incarnation"])
            return reports

    async def second(expected: list[dict[str, Any]]) -> None:
        async with sim(snap) as s, httpx.AsyncClient(base_url=s.url) as c:
            page = (await c.get("/executions", params={"limit": 5000})).json()
            assert page["reports"] == expected
            assert page["incarnation"] not in incarnations  # a restart is seen as one
            await c.post("/orders", json=order("next:0"))
            assert (await c.get("/healthz")).json()["last_seq"] == len(expected) + 1

    reports: list[dict[str, Any]] = []
    incarnations: list[str] = []

    async def go() -> None:
        reports.extend(await first())
        await second(reports)

    run(go)
    assert len(reports) > 30


def test_cancel_racing_its_order_through_the_journal_is_not_404(tmp_path: Path) -> None:
    async def go() -> None:
        engine, journal = restore(REF, tmp_path / "s", seed=1, reject_rate=0.0)
        venue = Venue(engine, journal)
        new = parse_new(order("a:0"))
        (s1, a1), (s2, a2) = await asyncio.gather(
            venue.execute(new), venue.execute(parse_cancel("a:0", {"client_order_id": "a:x"})))
        assert (s1, a1["status"], s2, a2["status"]) == (200, "NEW", 200, "CANCELED")
        await venue.close()

    run(go)


@pytest.mark.parametrize("journaled", [False, True])
def test_a_batch_answers_each_item_as_its_single_call_would(tmp_path: Path,
                                                           journaled: bool) -> None:
    """In order: a new order, its cancel, a malformed item, a duplicate, a conflicting reuse
    of an id, a cancel of an unknown order. Each answer is the single call's."""
    async def go() -> None:
        async with sim(tmp_path / "s" if journaled else None) as s, \
                httpx.AsyncClient(base_url=s.url) as c:
            items = [{"path": "/orders", "body": order("a:0")},
                     {"path": "/orders/a:0/cancel", "body": {"client_order_id": "a:x"}},
                     {"path": "/orders", "body": {"client_order_id": "b"}},
                     {"path": "/orders", "body": order("a:0")},
                     {"path": "/orders", "body": order("a:0", qty=6)},
                     {"path": "/orders/zz/cancel", "body": {"client_order_id": "z:x"}},
                     {"path": "/orders/a:0/delete", "body": {}}]
            r = await c.post("/orders/batch", json={"instructions": items})
            assert r.status_code == 200
            got = [(x["status"], x["body"].get("status"), x["body"].get("duplicate"))
                   for x in r.json()["results"]]
            assert got == [(200, "NEW", False), (200, "CANCELED", False), (400, None, None),
                           (200, "NEW", True), (409, None, None), (404, None, None),
                           (400, None, None)]
            reps = (await c.get("/executions", params={"after": 0})).json()["reports"]
            assert [x["exec_type"] for x in reps] == ["NEW", "CANCELED"]
            for bad in ({}, {"instructions": []}, {"instructions": [{}] * 1001}):
                assert (await c.post("/orders/batch", json=bad)).status_code == 400

    run(go)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawn(port: int, snap: Path) -> subprocess.Popen[bytes]:
    code = ("import sys; from pathlib import Path; from connectors.venue.server import run_sim; "
            f"run_sim({port}, Path(sys.argv[1]), seed=1, latency_ms=0, reject_rate=0.1)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(snap)],
                            cwd=Path(__file__).resolve().parents[3])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5)
            return proc
        except httpx.TransportError:
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("the simulator did not start")


def test_kill_9_at_any_moment_loses_no_served_report(tmp_path: Path) -> None:
    snap, port = tmp_path / "venue.snap", _free_port()
    url = f"http://127.0.0.1:{port}"
    served: dict[int, dict[str, Any]] = {}

    async def hammer(start: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5) as c:
            async def one(k: int) -> None:
                side = "SELL" if k % 2 else "BUY"
                await c.post("/orders", json=order(f"o{k}:0", qty=30, price=18_995 + k % 11,
                                                   side=side))
                if k % 5 == 4:
                    await c.post(f"/orders/o{k - 2}:0/cancel",
                                 json={"client_order_id": f"o{k - 2}:x1"})

            async def read() -> None:  # as a connector does: incremental long-polls
                while True:
                    page = await c.get("/executions", params={
                        "after": max(served, default=0), "limit": 5000, "wait_ms": 1000})
                    served.update((r["seq"], r) for r in page.json()["reports"])

            async def worker(w: int) -> None:
                for k in range(start + w, start + 400, 8):
                    await one(k)

            await asyncio.gather(read(), *(worker(w) for w in range(8)),
                                 return_exceptions=True)  # the kill cuts them all short

    proc = _spawn(port, snap)
    try:
        for round_ in range(3):
            async def kill_soon(p: subprocess.Popen[bytes] = proc, r: int = round_) -> None:
                base, deadline = len(served), time.monotonic() + 10
                while len(served) < base + 30 * (r + 1) and time.monotonic() < deadline:
                    await asyncio.sleep(0.002)
                os.kill(p.pid, signal.SIGKILL)  # mid-stream: orders still in flight

            async def both(r: int = round_) -> None:
                await asyncio.gather(hammer(r * 1000), kill_soon())

            asyncio.run(both())
            proc.wait(10)
            proc = _spawn(port, snap)
            after = httpx.get(f"{url}/executions", params={"limit": 5000}).json()["reports"]
            now = {r["seq"]: r for r in after}
            assert [r["seq"] for r in after] == list(range(1, len(after) + 1))
            assert all(now.get(seq) == rep for seq, rep in served.items())
        assert len(served) > 50
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert snap.with_name("venue.snap.journal").stat().st_size == 0  # compacted on exit
    finally:
        if proc.poll() is None:
            proc.kill()
