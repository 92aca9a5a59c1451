"""`brokerage connector`: wires the order pump, the execution stream and reconciliation
(at start, and again whenever the stream sees the exchange restart: watch.py)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import httpx

from brokerage.adapters.delivery import Deliveries
from brokerage.adapters.group import GroupMember
from brokerage.adapters.kafka import batching, consumer, membership, producer, producing
from brokerage.config import Settings
from brokerage.domain.hours import parse_close
from brokerage.observability.probes import serve

from .breaker import CircuitBreaker, State
from .client import ExchangeClient, ExchangeRefused, ExchangeUnavailable
from .mapping import resubmission
from .orders import OrderPump
from .reconcile import reconcile
from .stream import last_published_seq, pump
from .watch import VenueWatch

log = logging.getLogger("brokerage.connector")


def run(settings: Settings, bootstrap: str, stop: threading.Event | None = None) -> None:
    stop = stop or _stop_on_signals()
    breaker = CircuitBreaker(settings.connector_breaker_failures,
                             settings.connector_breaker_reset_seconds)
    client = ExchangeClient(settings.exchange_url, breaker)
    # One producer per thread: a failed delivery replaces that thread's producer alone.
    reports, refusals = (Deliveries(lambda **conf: producer(bootstrap, **conf),
                                    **producing(settings))
                         for _ in range(2))
    # Outages can hold one batch for long: stay in the group meanwhile.
    cons = GroupMember(lambda: consumer(bootstrap, f"{settings.app_id}-connector",
                                        **{"max.poll.interval.ms": 3_600_000},
                                        **membership(settings), **batching(settings)),
                       [settings.topic_orders])
    start = last_published_seq(bootstrap, settings.topic_executions)
    log.info("connector: exchange %s, resuming executions after seq %d",
             settings.exchange_url, start)
    again = threading.Event()  # the stream saw the exchange restart
    watch = VenueWatch(again.set)
    stream = threading.Thread(target=pump, name="executions", daemon=True,
                              args=(client, reports, settings.topic_executions, start, stop),
                              kwargs={"watch": watch})
    stream.start()
    threading.Thread(target=reconcile_each_start, name="reconcile", daemon=True,
                     args=(client, settings, stop, again, watch)).start()
    orders = OrderPump(cons, client, refusals, settings.topic_executions,
                       settings.topic_dead_letters, stop, f"{settings.app_id}-connector",
                       parse_close(settings.exchange_close_utc))
    # Live while the order loop goes round; ready while it reaches Kafka and the exchange.
    probes = serve(settings.metrics_bind, settings.connector_metrics_port, orders.beat.alive,
                   lambda: orders.lag.ok and breaker.state is not State.OPEN)
    try:
        orders.run()
    finally:
        if probes:
            probes.close()
        stop.set()
        stream.join(10)
        reports.close()
        refusals.close()
        cons.close()
        client.close()


def reconcile_each_start(client: ExchangeClient, settings: Settings, stop: threading.Event,
                         again: threading.Event, watch: VenueWatch | None = None) -> None:
    """Reconcile at the connector's start, and again each time `again` is set (the exchange
    restarted: a venue restored from an old snapshot, or none, differs from us).

    The watch only sees changes after the stream's first page, so a venue that restarted
    between this reconciliation's start and that page would go unnoticed: the venue's
    incarnation read before reconciling is compared with the one the stream then sees.
    An incarnation already reconciled is not reconciled again: the start's run may read a
    new one before the stream's watch does, which then reports it as a change."""
    done: str | None = None  # the incarnation last reconciled
    seen: str | None = None  # the stream's incarnation that last sent us round again
    while not stop.is_set():
        basis = _incarnation(client, stop)
        if basis is None or basis != done:
            if _reconcile_when_up(client, settings, stop):
                done = basis
        else:
            log.info("exchange incarnation %s is already reconciled", basis)
        while not again.wait(1):
            if stop.is_set():
                return
            now = watch.incarnation if watch is not None else None
            if now not in (None, basis, seen):
                log.warning("the stream sees exchange incarnation %s, reconciliation read %s: "
                            "checking again", now, basis)
                seen = now
                break
        again.clear()


def _incarnation(client: ExchangeClient, stop: threading.Event) -> str | None:
    """The venue's current incarnation id, once it answers (None if stopped first)."""
    while not stop.is_set():
        try:
            found: str | None = client.call("GET", "/healthz").get("incarnation")
            return found
        except (ExchangeUnavailable, ExchangeRefused, OSError, httpx.HTTPError) as exc:
            log.warning("exchange not answering yet: %s", exc)
        stop.wait(2)
    return None


def _reconcile_when_up(client: ExchangeClient, settings: Settings,
                       stop: threading.Event) -> bool:
    """Reconcile once the venue answers: whether it ran to the end."""
    close = parse_close(settings.exchange_close_utc)

    def resubmit(trade: dict[str, Any]) -> None:
        method, path, body = resubmission(trade, close)
        client.call(method, path, json=body)

    while not stop.is_set():
        try:
            diffs = reconcile(client, settings.worker_url_list(), resubmit)
            log.info("reconciliation done: %d difference(s)", len(diffs))
            return True
        except (ExchangeUnavailable, OSError, httpx.HTTPError) as exc:
            log.warning("reconciliation waits: %s", exc)
        except Exception:  # never take the connector down for a report
            log.exception("reconciliation failed")
            return False
        stop.wait(2)
    return False


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop
