"""The worker's faust sensor exports what faust's Prometheus sensor exports, message for
message, including after a rebalance has removed the topic and partition series."""

from __future__ import annotations

from typing import Any

from faust.sensors.prometheus import FaustMetrics, PrometheusMonitor
from faust.types import TP
from faust.types.tuples import Message
from prometheus_client import CollectorRegistry

from streams.sensor import Sensor


class _Owner:
    pass


class _Stream:
    """What the hooks read of a stream: its label, its task, a stable identity."""

    shortlabel = "Stream: Topic: brokerage-inputs"

    def __init__(self) -> None:
        self.task_owner = _Owner()

    def __str__(self) -> str:
        return "stream"


def _feed(mon: PrometheusMonitor, stream: _Stream, tps: list[TP], n: int) -> None:
    for i in range(n):
        tp = tps[i % len(tps)]
        msg = Message(tp.topic, tp.partition, i, 0.0, 0, None, b"k", b"v", None, None)
        mon.on_message_in(tp, i, msg)
        state = mon.on_stream_event_in(tp, i, stream, None)  # type: ignore[arg-type]
        mon.on_stream_event_out(tp, i, stream, None, state)  # type: ignore[arg-type]
        mon.on_message_out(tp, i, msg)


def _exported(reg: CollectorRegistry) -> dict[str, Any]:
    """Every sample but timing ones (they differ from run to run)."""
    return {f"{s.name}{sorted(s.labels.items())}": s.value for m in reg.collect()
            for s in m.samples
            if not s.name.endswith(("_created", "_bucket", "_sum"))}


def test_the_same_series_and_values_as_fausts_sensor_across_a_rebalance() -> None:
    tps = [TP("inputs", 0), TP("inputs", 3), TP("other", 1)]
    got = {}
    for cls in (PrometheusMonitor, Sensor):
        reg = CollectorRegistry()
        mon = cls(metrics=FaustMetrics.create(reg, "faust"))
        stream = _Stream()
        _feed(mon, stream, tps, 300)
        mon._clear_partition_related_metrics()  # what the end of a rebalance does
        _feed(mon, stream, tps[1:], 50)
        got[cls.__name__] = _exported(reg)
    ours, theirs = got["Sensor"], got["PrometheusMonitor"]
    assert ours == theirs
    assert theirs["faust_messages_received_total[]"] == 350
    # after the rebalance, the series removed come back with the counts since
    assert theirs["faust_messages_received_per_topic_total[('topic', 'inputs')]"] == 25
