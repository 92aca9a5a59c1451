"""`brokerage exchange`: consume orders, run them through the simulator, produce executions.

At-least-once: offsets are committed only after the reports are flushed. A redelivered
order yields reports with the same exec ids, which the worker ignores.
"""

from __future__ import annotations

import logging
import signal
import threading

from brokerage.adapters.kafka import consumer, producer
from brokerage.codec import avro
from brokerage.codec.models import execution_to_record, order_from_record
from brokerage.config import Settings
from brokerage.domain import refdata as refdata_mod
from brokerage.service.handler import Source, dead_letter

from .sim import MiniExchange

log = logging.getLogger("brokerage.exchange")


def run(settings: Settings, bootstrap: str, stop: threading.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    rd = refdata_mod.load(settings.refdata_path)
    sim = MiniExchange({s: i.reference_price_minor for s, i in rd.instruments.items()
                        if i.reference_price_minor is not None})
    cons = consumer(bootstrap, f"{settings.app_id}-exchange")
    prod = producer(bootstrap)
    cons.subscribe([settings.topic_orders])
    seq = 0
    log.info("exchange connector consuming %s", settings.topic_orders)
    try:
        while not stop.is_set():
            msgs = cons.consume(500, timeout=0.2)
            for msg in msgs:
                if msg.error():
                    log.warning("consume error: %s", msg.error())
                    continue
                try:
                    order = order_from_record(avro.decode("order", msg.value() or b""))
                except (avro.DecodeError, KeyError, ValueError) as exc:
                    src = Source(msg.topic() or "", msg.partition() or 0, msg.offset() or 0, False)
                    dl = dead_letter(src, msg.key(), msg.value() or b"", type(exc).__name__,
                                     str(exc))
                    prod.produce(settings.topic_dead_letters, dl.value, dl.key,
                                 headers=dict(dl.headers))
                    continue
                for rep in sim.on_order(order):
                    seq += 1
                    value = avro.encode("execution_report", execution_to_record(rep, seq))
                    prod.produce(settings.topic_executions, value, key=rep.trader_id.encode())
            if msgs:
                prod.flush(30)
                cons.commit(asynchronous=False)
    finally:
        prod.flush(10)
        cons.close()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop
