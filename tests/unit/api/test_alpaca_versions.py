"""A replaced trade as Alpaca's chain of orders, and refused NEWs on the stream: states made
by the real rules, served as the workers serve them, checked with alpaca-py's own models."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, cast

from alpaca.trading.models import Order, TradeUpdate
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.alpaca import keys, router, shapes, versions
from api.alpaca.feed import Feed
from api.alpaca.stream import messages
from api.deps import Context
from api.ratelimit import TokenBuckets
from brokerage.codec import avro
from brokerage.codec.models import output_to_record
from brokerage.codec.state import state_to_bytes
from brokerage.config import Settings
from brokerage.domain import core, refdata
from brokerage.domain.events import (
    AmendTrade,
    Deposit,
    Event,
    ExecutionReport,
    NewTrade,
    Response,
)
from brokerage.domain.events import TradeUpdate as Ours
from brokerage.domain.requests import trade_id_for
from brokerage.domain.state import TraderState
from brokerage.domain.types import ExecType, OrderType, Side, TimeInForce

RD = refdata.load()
T = "alice"


class Trader:
    def __init__(self) -> None:
        self.state = TraderState(T)
        self.n = 0
        self.send(Deposit("cash", T, 10**8))

    def send(self, event: Event) -> Any:
        self.n += 1
        event = replace(event, at_ms=1_700_000_000_000 + 1000 * self.n)
        self.state, out = core.apply(self.state, event, RD)
        return out

    def report(self, tid: str, kind: ExecType, qty: int = 0, price: int = 0) -> Any:
        return self.send(ExecutionReport(f"E{self.n}", T, tid, kind, 0, qty, price))[0]

    def served(self) -> dict[str, Any]:
        """The state as the workers serve it: the Avro record, as JSON."""
        record = avro.decode("trader_state", state_to_bytes(self.state))
        served: dict[str, Any] = json.loads(json.dumps(record))
        return served


def replaced_once(pending_again: bool = False) -> tuple[Trader, str]:
    """10 AAPL at 150.00 DAY, 3 filled, replaced by 20 at 151.00 GTC (amend "a-2")."""
    t = Trader()
    [resp, _] = t.send(NewTrade("a-1", T, Side.BUY, "AAPL", 10, OrderType.LIMIT, 15_000))
    tid = resp.trade_id
    t.report(tid, ExecType.NEW)
    t.report(tid, ExecType.TRADE, 3, 15_000)
    t.send(AmendTrade("a-2", T, tid, 20, 15_100, time_in_force=TimeInForce.GTC))
    t.report(tid, ExecType.REPLACED)
    if pending_again:
        t.send(AmendTrade("a-3", T, tid, 25))
    return t, tid


def test_a_replace_makes_a_new_order_that_replaces_the_old_one() -> None:
    t, tid = replaced_once()
    old, new = versions.chain(t.served()["trades"][0])
    o_old, o_new = Order(**shapes.order_json(old)), Order(**shapes.order_json(new))
    assert str(o_old.id) == shapes.order_uuid(tid)  # the id the first answer gave
    assert o_old.status.value == "replaced" and str(o_old.replaced_by) == str(o_new.id)
    assert (o_old.qty, o_old.limit_price, o_old.time_in_force.value) == ("10", "150.00", "day")
    assert (o_old.filled_qty, o_old.client_order_id) == ("3", "a-1")
    assert o_old.replaced_at is not None and o_old.replaces is None
    assert o_new.status.value == "partially_filled" and str(o_new.replaces) == str(o_old.id)
    assert (o_new.qty, o_new.limit_price, o_new.time_in_force.value) == ("20", "151.00", "gtc")
    assert (o_new.client_order_id, o_new.replaced_by) == ("a-2", None)
    assert o_new.created_at == o_old.replaced_at


def test_orders_are_found_by_any_versions_id() -> None:
    t, tid = replaced_once(pending_again=True)
    state = t.served()
    old, live, pending = versions.chain(state["trades"][0])
    assert [o["status"] for o in (old, live, pending)] == [
        "REPLACED", "PENDING_REPLACE", "PENDING_NEW"]
    for o in (old, live, pending):
        assert versions.find(state, o["id"]) is not None
        assert versions.find(state, o["id"])["id"] == o["id"]  # type: ignore[index]
    assert versions.find(state, tid)["id"] == live["id"]  # type: ignore[index]
    assert (pending["replaces"], pending["quantity"], pending["request_id"]) == (
        live["id"], 25, "a-3")
    assert Order(**shapes.order_json(pending)).status.value == "pending_new"
    assert versions.find({"trades": []}, old["id"]) is None


def test_the_stream_says_replaced_with_the_old_order_then_new_with_the_new_one() -> None:
    t, tid = replaced_once()
    feed = Feed(wait_ms=0)
    rec = avro.decode("trade_event", avro.encode("trade_event", _update_record(t, tid)))
    feed.execution(rec["event_id"][5:], "REPLACED")
    feed.event(rec, 1_700_000_009_000, now_ms=0)
    [u] = feed.release(now_ms=0)
    frames = [TradeUpdate(**m["data"]) for m in messages(u, t.served())]
    assert [f.event for f in frames] == ["replaced", "new"]
    old, new = frames[0].order, frames[1].order
    assert old.status.value == "replaced" and old.replaced_by == new.id
    assert new.replaces == old.id and new.status.value == "partially_filled"
    assert str(old.id) == shapes.order_uuid(tid)


def _update_record(t: Trader, tid: str) -> dict[str, Any]:
    """The responses-topic record of the trade's last update, as the worker sends it."""
    trade = t.state.trades[tid]
    return output_to_record(Ours(T, tid, trade.status, "E-replaced", trade.cum_qty,
                                 order_id=trade.order_id))


def _request(rid: str, kind: str = "NewTrade") -> dict[str, Any]:
    body = {"side": "BUY", "symbol": "AAPL", "quantity": 1000, "order_type": "LIMIT",
            "limit_price": 19_000, "time_in_force": "DAY"} if kind == "NewTrade" else {
        "trade_id": "alice.00", "quantity": 5, "limit_price": None, "time_in_force": None}
    return {"request_id": rid, "trader_id": T, "sent_at_ms": 0,
            "body": (f"brokerage.v1.{kind}", body)}


def _refusal(rid: str, reason: str = "INSUFFICIENT_FUNDS") -> dict[str, Any]:
    out = Response(rid, T, False, None, None, None, "needs more")
    return {**output_to_record(out), "reason": reason}


def test_a_refused_new_is_streamed_as_rejected_with_its_terms() -> None:
    feed = Feed(wait_ms=1000)
    feed.event(_refusal("poor-1"), 5_000, now_ms=0)  # its request not read yet: it waits
    assert feed.release(now_ms=10) == []
    feed.request(_request("poor-1"))
    [u] = feed.release(now_ms=20)
    [frame] = messages(u, None)
    tu = TradeUpdate(**frame["data"])
    assert tu.event == "rejected" and tu.order.status.value == "rejected"
    assert (tu.order.client_order_id, tu.order.qty, tu.order.limit_price) == (
        "poor-1", "1000", "190.00")
    assert str(tu.order.id) == shapes.order_uuid(trade_id_for(T, "poor-1"))
    assert tu.order.failed_at is not None


def test_other_refusals_are_not_streamed_and_do_not_hold_the_queue_long() -> None:
    feed = Feed(wait_ms=1000)
    feed.request(_request("amend-1", "AmendTrade"))
    feed.event(_refusal("amend-1", "TRADE_NOT_OPEN"), 1, now_ms=0)  # an amend's: no event
    feed.event(_refusal("dup-1", "DUPLICATE_REQUEST"), 2, now_ms=0)  # names a live trade
    feed.event(_refusal("unseen"), 3, now_ms=0)  # sent before this API started
    assert feed.release(now_ms=10) == []
    assert feed.release(now_ms=1000) == []  # after the wait: dropped, the queue moves on


class _Worker:
    """The workers' table and the request bridge in one: requests go through the real rules."""

    def __init__(self, trader: Trader) -> None:
        self.t = trader

    async def trader(self, trader_id: str) -> dict[str, Any] | None:
        return self.t.served() if trader_id == T else None

    async def submit(self, req: Any, timeout: float) -> dict[str, Any] | None:
        return output_to_record(self.t.send(req)[0])


def _client(t: Trader) -> TestClient:
    worker = _Worker(t)
    app = FastAPI()
    app.include_router(router)
    app.state.ctx = Context(Settings(), cast(Any, worker), cast(Any, worker),
                            TokenBuckets(1000, 1000, "trader"), TokenBuckets(1000, 1000, "ip"))
    key_id, secret, rec = keys.new_key(T, {"trade"})

    class Keys:
        async def authenticate(self, k: str, s: str) -> Any:
            return rec.principal() if k == key_id and rec.matches(s) else None

    app.state.alpaca = SimpleNamespace(keys=Keys(), refdata=RD, updates=None)
    return TestClient(app, headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret})


def test_a_patch_answers_with_the_new_order_waiting_for_the_exchange() -> None:
    t, tid = replaced_once()
    http = _client(t)
    live = versions.find(t.served(), tid)
    assert live is not None
    r = http.patch(f"/v2/orders/{live['id']}", json={"time_in_force": "day",
                                                      "client_order_id": "a-3"})
    new = Order(**r.json())
    assert (new.status.value, str(new.replaces), new.client_order_id) == (
        "pending_new", live["id"], "a-3")
    assert new.time_in_force is not None and new.time_in_force.value == "day"
    old = Order(**http.get(f"/v2/orders/{live['id']}").json())
    assert old.status.value == "pending_replace"
    assert Order(**http.get(f"/v2/orders/{new.id}").json()).id == new.id
    r = http.patch(f"/v2/orders/{new.id}", json={"qty": 30})  # a change is pending already
    assert (r.status_code, r.json()["code"]) == (422, 42210000)
    t.report(tid, ExecType.REPLACED)
    now = Order(**http.get(f"/v2/orders/{new.id}").json())
    assert (now.status.value, now.time_in_force.value) == ("partially_filled", "day")
    r = http.patch(f"/v2/orders/{live['id']}", json={"time_in_force": "ioc"})  # replaced
    assert (r.status_code, r.json()["code"]) == (422, 42210000)
    r = http.patch(f"/v2/orders/{new.id}", json={"time_in_force": "ioc"})  # DAY <-> GTC only
    assert (r.status_code, r.json()["code"]) == (422, 40010001)


def test_the_routes_show_both_orders_and_refuse_changes_to_the_replaced_one() -> None:
    t, tid = replaced_once()
    http = _client(t)
    old = Order(**http.get(f"/v2/orders/{shapes.order_uuid(tid)}").json())
    new = Order(**http.get(f"/v2/orders/{old.replaced_by}").json())
    assert (old.status.value, new.status.value, new.replaces) == (
        "replaced", "partially_filled", old.id)
    assert [o["id"] for o in http.get("/v2/orders").json()] == [str(new.id)]
    assert [o["id"] for o in http.get("/v2/orders?status=all&direction=asc").json()] == [
        str(old.id), str(new.id)]
    assert [o["id"] for o in http.get("/v2/orders?status=closed").json()] == [str(old.id)]
    by_client = http.get("/v2/orders:by_client_order_id?client_order_id=a-2").json()
    assert by_client["id"] == str(new.id)
    for r in (http.patch(f"/v2/orders/{old.id}", json={"qty": 30}),
              http.delete(f"/v2/orders/{old.id}")):
        assert r.status_code == 422 and r.json()["code"] == 42210000
        assert "replaced" in r.json()["message"]


def test_the_replacement_is_known_even_before_the_table_shows_the_amend() -> None:
    t, tid = replaced_once()
    before = t.served()["trades"][0]
    req = AmendTrade("a-3", T, tid, 25, None, time_in_force=TimeInForce.DAY)
    t.send(req)
    shown = versions.chain(t.served()["trades"][0])[-1]
    guessed = versions.asked(before, req)
    keys = ("id", "replaces", "request_id", "quantity", "limit_price", "time_in_force",
            "status")
    assert {k: guessed[k] for k in keys} == {k: shown[k] for k in keys}
