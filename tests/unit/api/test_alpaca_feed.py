"""Which Alpaca trade-update event each of our trade events becomes, and in what order."""

from __future__ import annotations

from typing import Any

from alpaca.trading.models import TradeUpdate

from api.alpaca import shapes
from api.alpaca.feed import Feed, event_for
from api.alpaca.stream import messages


def update(trader: str, trade: str, status: str, exec_id: str, cum: int = 0, last: int = 0,
           price: int = 0) -> dict[str, Any]:
    return {"event_id": f"exec:{exec_id}", "kind": "UPDATE", "trader_id": trader,
            "request_id": None, "trade_id": trade, "accepted": True, "status": status,
            "reason": None, "message": "", "cum_qty": cum, "last_qty": last,
            "last_price": price, "fee": 0}


def response(trader: str, trade: str, status: str | None, request: str,
             accepted: bool = True) -> dict[str, Any]:
    return {"event_id": f"resp:{request}", "kind": "RESPONSE", "trader_id": trader,
            "request_id": request, "trade_id": trade, "accepted": accepted, "status": status,
            "reason": None if accepted else "INSUFFICIENT_FUNDS", "message": "",
            "cum_qty": 0, "last_qty": 0, "last_price": 0, "fee": 0}


def test_events_from_status_fill_and_exchange_report() -> None:
    assert event_for(response("a", "t", "PENDING_NEW", "r"), None, None) == "pending_new"
    assert event_for(response("a", "t", "PENDING_CANCEL", "r"), None, None) == "pending_cancel"
    assert event_for(response("a", "t", None, "r", accepted=False), None, None) is None
    assert event_for(update("a", "t", "PARTIALLY_FILLED", "E", 5, 5, 1), None, None) == (
        "partial_fill")
    assert event_for(update("a", "t", "FILLED", "E", 9, 4, 1), None, None) == "fill"
    assert event_for(update("a", "t", "CANCELED", "E"), None, None) == "canceled"
    assert event_for(update("a", "t", "REJECTED", "E"), None, None) == "rejected"
    assert event_for(update("a", "t", "EXPIRED", "E"), None, None) == "expired"
    assert event_for(update("a", "t", "NEW", "E"), "NEW", None) == "new"
    assert event_for(update("a", "t", "NEW", "E"), "REPLACED", None) == "replaced"
    assert event_for(update("a", "t", "FILLED", "E", 9), "REPLACED", None) == "replaced"
    assert event_for(update("a", "t", "NEW", "E"), "REPLACE_REJECTED", None) == (
        "order_replace_rejected")
    assert event_for(update("a", "t", "NEW", "E"), "CANCEL_REJECTED", None) == (
        "order_cancel_rejected")


def test_an_ambiguous_update_waits_for_its_report_and_holds_the_traders_later_ones() -> None:
    feed = Feed(wait_ms=1000)
    feed.event(response("a", "t1", "PENDING_REPLACE", "r1"), 1, now_ms=0)
    feed.event(update("a", "t1", "NEW", "E7"), 2, now_ms=0)  # replaced? refused? an ack?
    feed.event(update("a", "t1", "PARTIALLY_FILLED", "E8", 5, 5, 100), 3, now_ms=0)
    feed.event(update("b", "t2", "CANCELED", "E9"), 4, now_ms=0)  # another trader: not held
    first = feed.release(now_ms=10)
    assert [(u.trader_id, u.event) for u in first] == [("a", "pending_replace"),
                                                       ("b", "canceled")]
    feed.execution("E7", "REPLACED")
    assert [u.event for u in feed.release(now_ms=20)] == ["replaced", "partial_fill"]


def test_without_its_report_an_update_is_inferred_after_the_wait() -> None:
    feed = Feed(wait_ms=1000)
    feed.event(response("a", "t1", "PENDING_CANCEL", "r1"), 1, now_ms=0)
    feed.event(update("a", "t1", "NEW", "E1"), 2, now_ms=0)
    assert [u.event for u in feed.release(now_ms=999)] == ["pending_cancel"]
    assert [u.event for u in feed.release(now_ms=1000)] == ["order_cancel_rejected"]
    feed.event(update("a", "t2", "NEW", "E2"), 3, now_ms=2000)
    assert [u.event for u in feed.release(now_ms=3000)] == ["new"]


def test_a_redelivered_event_is_streamed_once() -> None:
    feed = Feed(wait_ms=0)
    for _ in range(2):
        feed.event(update("a", "t1", "FILLED", "E1", 3, 3, 100), 1, now_ms=0)
    assert len(feed.release(now_ms=0)) == 1


def test_the_message_is_the_sdks_trade_update_as_of_the_event() -> None:
    trade: dict[str, Any] = {"trade_id": "a.0000000000000001", "request_id": "r1", "side": "BUY",
             "symbol": "AAPL", "order_type": "LIMIT", "time_in_force": "DAY", "quantity": 10,
             "limit_price": 19000, "status": "FILLED", "cum_qty": 10, "cum_notional": 190000,
             "fills": [{"exec_id": "E1", "quantity": 4, "price": 19000, "fee": 100},
                       {"exec_id": "E2", "quantity": 6, "price": 19000, "fee": 0}],
             "created_ms": 1, "updated_ms": 9, "history": []}
    feed = Feed(wait_ms=0)
    feed.event(update("a", trade["trade_id"], "PARTIALLY_FILLED", "E1", 4, 4, 19000), 5, 0)
    [u] = feed.release(now_ms=0)
    [msg] = messages(u, {"trades": [trade]})
    assert msg["stream"] == "trade_updates"
    tu = TradeUpdate(**msg["data"])
    assert tu.event == "partial_fill" and (tu.qty, tu.price) == (4, 190.0)
    assert str(tu.order.id) == shapes.order_uuid(trade["trade_id"])
    assert tu.order.status.value == "partially_filled" and tu.order.filled_qty == "4"
    assert str(tu.execution_id) == shapes.exec_uuid("E1")
    assert messages(u, {"trades": []}) == []
