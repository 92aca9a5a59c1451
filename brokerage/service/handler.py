"""Bytes in, bytes out around the pure rules: decode, apply, encode, dead-letter.

Kept free of Faust so it is unit tested without a broker; the agent only moves bytes.
"""

from __future__ import annotations

import logging

from brokerage.codec import avro
from brokerage.codec.models import (
    MalformedRecord,
    event_from_request_record,
    execution_from_record,
    order_to_record,
    output_to_record,
)
from brokerage.codec.state import state_from_bytes, state_to_bytes
from brokerage.domain import core
from brokerage.domain.events import Anomaly, Event, OrderCommand, Output, Response, TradeUpdate
from brokerage.domain.records import evolve
from brokerage.domain.refdata import RefData
from brokerage.domain.state import TraderState
from brokerage.domain.types import RejectReason

from .messages import (
    SRC_OFFSET,
    SRC_PARTITION,
    SRC_TIMESTAMP,
    SRC_TOPIC,
    Out,
    Result,
    Send,
    Source,
    dead_letter,
    envelope,
    source_of,
)

# Re-exported: the worker, connector, sink and tests import these from here.
__all__ = ["SRC_OFFSET", "SRC_PARTITION", "SRC_TIMESTAMP", "SRC_TOPIC", "Out", "Result", "Send",
           "Source", "dead_letter", "decode_event", "envelope", "handle", "parse",
           "refused", "sends_for", "source_of"]
log = logging.getLogger("brokerage.worker")
def decode_event(src: Source, key: bytes | None, value: bytes) -> Event:
    if src.is_execution:
        rep = execution_from_record(avro.decode("execution_report", value))
        # The table entry is found by key and must be this trader's: a mismatch would make
        # core.apply raise (crashing the agent) or file one trader's state under another.
        if key is None or key.decode("utf-8", "replace") != rep.trader_id:
            raise MalformedRecord("the message key must be the trader id", None, None)
        return rep
    return event_from_request_record(avro.decode("trade_request", value), key)


def handle(
    src: Source, key: bytes | None, value: bytes | None, stored: bytes | None, refdata: RefData,
) -> Result:
    value = value or b""
    parsed = parse(src, key, value)
    if isinstance(parsed, Result):
        return parsed
    if stored:
        state = state_from_bytes(stored)
    else:
        state = TraderState(parsed.trader_id)
    new, outputs = core.apply(state, parsed, refdata)
    out: bytes | None
    if new is not state:
        out = state_to_bytes(new)
    else:
        # A redelivery after a crash: the local store may be ahead of the changelog (RocksDB
        # writes are not rolled back), so write the value again to get it logged. Refused
        # exchange reports changed nothing and need no write.
        out = None if refused(outputs) else stored
    return Result(out, sends_for(src, key, value, outputs), type(parsed).__name__, outputs,
                  new is state and not refused(outputs))


def parse(src: Source, key: bytes | None, value: bytes) -> Event | Result:
    """The event, stamped with its input's time; or the dead-letter result for bad bytes."""
    try:
        event = decode_event(src, key, value)
    except avro.DecodeError as exc:
        return Result(None, [dead_letter(src, key, value, "DecodeError", str(exc), exc.reason)],
                      exc.reason)
    except MalformedRecord as exc:
        sends = [dead_letter(src, key, value, "MalformedRecord", str(exc), "MALFORMED")]
        if exc.trader_id and exc.request_id and not src.is_execution:
            resp = Response(exc.request_id, exc.trader_id, False, None, None,
                            RejectReason.MALFORMED, str(exc))
            sends.append(_send(resp))
        return Result(None, sends, "MALFORMED")
    except Exception as exc:  # a decoder bug: park the input (replayable), never crash-loop
        log.exception("undecodable input %s[%d]@%d", src.topic, src.partition, src.offset)
        err = f"{type(exc).__name__}: {exc}"
        return Result(None, [dead_letter(src, key, value, "DecodeError", err, "DECODER_ERROR")],
                      "DECODER_ERROR")
    return evolve(event, at_ms=src.timestamp_ms)


def refused(outputs: list[Output]) -> bool:
    return any(isinstance(o, Anomaly) for o in outputs)


def sends_for(src: Source, key: bytes | None, value: bytes, outputs: list[Output]
              ) -> list[Send]:
    """What the rules said, as messages: anomalies go to the dead letters with the input."""
    sends = []
    for o in outputs:
        if isinstance(o, Anomaly):
            sends.append(dead_letter(src, key, value, "Anomaly", f"{o.reason}: {o.detail}",
                                     o.reason.value))
        else:
            sends.append(_send(o))
    return sends


def _send(o: Response | TradeUpdate | OrderCommand) -> Send:
    key = o.trader_id.encode()
    if isinstance(o, OrderCommand):
        return Send(Out.ORDERS, key, avro.encode("order", order_to_record(o)))
    return Send(Out.RESPONSES, key, avro.encode("trade_event", output_to_record(o)))
