"""Orders topic -> exchange. At-least-once: offsets are committed only once the exchange has
acknowledged every order of a batch; a resend after a crash carries the same client order id,
which the exchange de-duplicates. While the exchange is unavailable, orders wait."""

from __future__ import annotations

import logging
import threading
from contextlib import ExitStack
from datetime import time
from typing import Any, NamedTuple

from confluent_kafka import KafkaException, Message

from brokerage.adapters.delivery import Deliveries, rewind
from brokerage.adapters.group import GroupMember
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, order_from_record
from brokerage.domain.events import OrderCommand
from brokerage.observability import otel, trace
from brokerage.observability.eventlog import EventLog
from brokerage.observability.metrics import DEAD_LETTERS, LagSampler
from brokerage.observability.probes import Heartbeat
from brokerage.service.messages import Source, dead_letter

from .client import ExchangeClient, ExchangeRefused, ExchangeUnavailable
from .mapping import refusal_report, request_for
from .traces import TRACES

log = logging.getLogger("brokerage.connector")
events = EventLog()


class Item(NamedTuple):
    msg: Message
    order: OrderCommand
    path: str
    body: dict[str, Any]
    ctx: trace.TraceContext


class OrderPump:
    def __init__(self, cons: GroupMember, client: ExchangeClient, out: Deliveries,
                 executions: str, dead_letters: str, stop: threading.Event,
                 group: str = "connector", close: time | None = None) -> None:
        self.cons, self.client, self.out = cons, client, out
        self.executions, self.dead_letters, self.stop = executions, dead_letters, stop
        self.beat, self.lag = Heartbeat(), LagSampler(group)  # liveness; lag per partition
        self.close = close  # the venue's daily close: DAY orders end with their session

    def run(self) -> None:
        while not self.stop.is_set():
            batch = self.cons.consume(200, timeout=0) or self.cons.consume(1, timeout=0.2)
            self.beat.beat()
            self.lag(self.cons.consumer)
            msgs = [m for m in batch if not m.error()]
            if not self.send_all(msgs) or not batch:
                continue
            if not self.out.settle(self.stop):  # refusals or dead letters not written
                if not self.stop.is_set():
                    rewind(self.cons.consumer, msgs)  # resent orders keep their ids
                continue
            try:
                self.cons.consumer.commit(asynchronous=False)
            except KafkaException as exc:  # e.g. the broker restarting: redelivered later
                log.warning("commit failed, the batch will be redelivered: %s", exc)

    def send_all(self, msgs: list[Message]) -> bool:
        """Deliver a batch of orders to the exchange in one call, in their order; False only
        if stopped before it was delivered."""
        with ExitStack() as spans:
            items: list[Item] = []
            for msg in msgs:
                try:
                    order = order_from_record(avro.decode("order", msg.value() or b""))
                except (avro.DecodeError, KeyError, ValueError) as exc:
                    self._dead_letter(msg, type(exc).__name__, str(exc))
                    continue
                # Booked when the worker wrote it: the message's time (CreateTime).
                _method, path, body = request_for(order, msg.timestamp()[1], self.close)
                # A span per order, in the trace its request began (README: Operating).
                ctx = spans.enter_context(otel.span(
                    f"exchange {order.action.value}", trace.from_headers(msg.headers()),
                    "client"))
                TRACES.remember(order.trade_id, ctx)  # its reports go back in this trace
                items.append(Item(msg, order, path, body, ctx))
            if not items:
                return True
            answers = self._deliver(items)
            if answers is None:
                return False
            for item, answer in zip(items, answers, strict=True):
                self._settle(item, answer["status"], answer.get("body"))
            return True

    def _deliver(self, items: list[Item]) -> list[dict[str, Any]] | None:
        """The exchange's answer per item; retried (the same ids: idempotent) while it is
        unavailable or answers any item with a 5xx; None if stopped meanwhile."""
        body = {"instructions": [{"path": i.path, "body": i.body,
                                  "traceparent": i.ctx.traceparent} for i in items]}
        pause = 0.2
        while not self.stop.is_set():
            self.beat.beat()  # waiting out an outage is not being stuck
            try:
                results: list[dict[str, Any]] = self.client.call(
                    "POST", "/orders/batch", json=body)["results"]
                if all(r["status"] < 500 for r in results):
                    return results
                log.warning("%d order(s) wait: the exchange answered 5xx",
                            sum(r["status"] >= 500 for r in results))
            except ExchangeUnavailable as exc:
                log.warning("%d order(s) wait: %s", len(items), exc)
            except ExchangeRefused as exc:  # the batch itself was refused: no item was done
                return [{"status": 422, "body": f"batch refused: {exc}"} for _ in items]
            self.stop.wait(pause)
            pause = min(pause * 2, 2.0)
        return None

    def _settle(self, item: Item, status: int, answer: Any) -> None:
        order = item.order
        if status < 400:
            events.info("order %s %s sent to the exchange", order.action.value, order.order_id,
                        ctx=item.ctx, trade_id=order.trade_id, trader_id=order.trader_id)
            return
        with trace.bound(item.ctx, trade_id=order.trade_id, trader_id=order.trader_id):
            if status == 404:  # it never saw the order being changed
                rep = refusal_report(order, str(answer))
                value = avro.encode("execution_report", execution_to_record(rep))
                self.out.produce(self.executions, value, key=order.trader_id.encode(),
                                  headers=[trace.header(TRACES.of(order.trade_id)
                                                        or trace.new())])
            else:
                self._dead_letter(item.msg, "ExchangeRefused", f"{status}: {answer}"[:500])

    def _dead_letter(self, msg: Message, error: str, reason: str) -> None:
        src = Source(msg.topic() or "", msg.partition() or 0, msg.offset() or 0, False)
        dl = dead_letter(src, msg.key(), msg.value() or b"", error, reason)
        DEAD_LETTERS.labels(dict(dl.headers)["dlq.code"].decode()).inc()
        log.error("order sent to the dead-letter topic: %s: %s", error, reason)
        self.out.produce(self.dead_letters, dl.value, dl.key, headers=dict(dl.headers))
