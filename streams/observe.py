"""What a worker shows: metrics and log lines from what the rules said, faust's own sensor,
consumer lag per partition, table recovery progress and the money and shares blocked."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust
from faust.sensors.prometheus import FaustMetrics
from faust.types import TP, TableT
from prometheus_client import REGISTRY

from brokerage.config import Settings
from brokerage.domain.events import Anomaly, OrderCommand, Response, TradeUpdate
from brokerage.domain.types import RejectReason
from brokerage.observability.eventlog import EventLog
from brokerage.observability.metrics import CONSUMER_LAG, REQUEST_TYPES, Tally
from brokerage.service.batch import StoredCache
from brokerage.service.messages import Result

from . import metrics
from .sensor import Sensor
from .unwritten import Unwritten, states_in

log = EventLog()
_faust_metrics: list[FaustMetrics] = []  # registered once per process


def record(result: Result, tally: Tally) -> None:
    """Count what one input did (into `tally`), and log it in one line (the trace ids are
    bound by the caller): a line per input, not per output, as the lines cost more than the
    rules."""
    parts: list[str] = []
    ids: dict[str, Any] = {}
    keep = False  # a refusal: logged past any sampling
    for o in result.outputs:
        if isinstance(o, Response):
            outcome = "accepted" if o.accepted else "rejected"
            reason = o.reason.value if o.reason else ""
            # A redelivered request's stored answer was counted the first time (a reused id
            # with another body is a new request, refused DUPLICATE_REQUEST: it counts).
            if not result.repeat or o.reason is RejectReason.DUPLICATE_REQUEST:
                tally.inc(metrics.requests_of(REQUEST_TYPES.get(result.kind, "other"),
                                              outcome, reason))
            parts.append(f"request {o.request_id} {outcome} {reason}".rstrip())
            ids.setdefault("request_id", o.request_id)
            if o.trade_id:
                ids.setdefault("trade_id", o.trade_id)
            keep = keep or not o.accepted
        elif isinstance(o, TradeUpdate):
            if o.last_qty:
                tally.inc(metrics.FILLS)
                tally.inc(metrics.FILLED_SHARES, o.last_qty)
            if o.status.terminal:
                tally.inc(metrics.settled_of(o.status.value))
            parts.append(f"trade {o.trade_id} {o.status.value} (exec {o.exec_id}, "
                         f"filled {o.cum_qty})")
            ids.setdefault("trade_id", o.trade_id)
        elif isinstance(o, OrderCommand):
            parts.append(f"order {o.action.value} {o.order_id} to the exchange")
            ids.setdefault("trade_id", o.trade_id)
        elif isinstance(o, Anomaly):
            log.warning("exchange report refused: %s", o.reason.value)
    if parts:
        log.info("; ".join(parts), keep=keep, **ids)


def install(app: faust.App, table: TableT[bytes, bytes], cache: StoredCache,
            settings: Settings, unwritten: Unwritten | None = None,
            scan_seconds: float = 15.0) -> None:
    if not _faust_metrics:  # faust's sensor: messages, events, sends, commits, rebalances
        _faust_metrics.append(FaustMetrics.create(REGISTRY, "faust"))
    app.monitor = Sensor(metrics=_faust_metrics[0])
    seen: set[int] = set()

    @app.timer(5.0)
    async def sample_lag_and_recovery() -> None:
        try:
            _sample(app, settings, seen)
        except Exception:  # metrics must never take the worker down: sample next time
            logging.getLogger("brokerage.worker").warning("lag sample failed", exc_info=True)

    @app.timer(scan_seconds)
    async def sum_blocked() -> None:
        try:
            await _sum_blocked(table, cache, unwritten)
        except Exception:
            logging.getLogger("brokerage.worker").warning("blocked sums failed", exc_info=True)


def _sample(app: Any, settings: Settings, seen: set[int]) -> None:
    group = settings.app_id
    recovery = app.tables.recovery
    metrics.RECOVERY_REMAINING.labels("active").set(recovery.active_remaining_total())
    metrics.RECOVERY_REMAINING.labels("standby").set(recovery.standby_remaining_total())
    owned = _owned_inputs(app, settings.topic_inputs)
    for p in owned:
        tp = TP(settings.topic_inputs, p)
        high = app.consumer.highwater(tp)
        done = app.consumer._committed_offset.get(tp)
        if high is not None and done is not None:
            CONSUMER_LAG.labels(group, tp.topic, str(p)).set(max(0, high - done))
    for p in seen - owned:  # moved to another worker
        CONSUMER_LAG.remove(group, settings.topic_inputs, str(p))
    seen.clear()
    seen.update(owned)


async def _sum_blocked(table: TableT[bytes, bytes], cache: StoredCache,
                       unwritten: Unwritten | None = None) -> None:
    """Loaded states come from the batch's cache, so a scan rarely loads; it yields to
    the event loop every few hundred traders. States not yet written count as they are."""
    states = []
    for n, state in enumerate(states_in(table, unwritten, cache)):
        states.append(state)
        if n % 200 == 199:
            await asyncio.sleep(0)
    cash = sum(s.cash_blocked for s in states)
    shares = sum(p.blocked for s in states for p in s.positions.values())
    metrics.BLOCKED_CASH.set(cash)
    metrics.BLOCKED_SHARES.set(shares)


def _owned_inputs(app: Any, topic: str) -> set[int]:
    try:
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}
    except (TypeError, AttributeError):  # before the first assignment
        return set()
