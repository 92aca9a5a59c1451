"""TraderState -> Avro bytes, fast: the table value is written once per event.

A trader's state holds hundreds of remembered requests and trades, but one event changes only
a few of them. Those items are frozen dataclasses shared between successive states, so each is
encoded once and its bytes are reused; only the small parts are encoded afresh. The Avro binary
encoding of a record is the concatenation of its fields', and of an array its count, items and
a zero, so the result is byte for byte what fastavro writes for the whole record (tested
against `reference_bytes`). The parts are written by schema-compiled writers (compiled.py).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

from fastavro import parse_schema, schemaless_writer

from brokerage.domain.state import ProcessedRequest, Totals, Trade, TraderState
from schemas import load

from .avro import MAGIC, current
from .compiled import (
    NATIVE,
    Unsupported,
    Writer,
    array_bytes,
    compile_writer,
    long_bytes,
    memo,
    string_bytes,
)

_CACHE_LIMIT = 200_000  # entries per cache; cleared when full, then refilled as states pass
_FIELDS = {f["name"]: f for f in load("trader_state")["fields"]}
_TOTALS = tuple(f.name for f in fields(Totals))


def _record(name: str, *names: str) -> Any:
    return parse_schema({"type": "record", "name": name,
                         "fields": [_FIELDS[n] for n in names]})


def _record_of(name: str, *without: str) -> Any:
    """Schema `name` without some of its last fields: their bytes are appended by hand."""
    return parse_schema({"type": "record", "name": f"{name}_prefix",
                         "fields": [f for f in load(name)["fields"] if f["name"] not in without]})


def _items(name: str) -> Any:
    return parse_schema(_FIELDS[name]["type"]["items"])


_HEAD = _record("Head", "version", "trader_id", "cash_available", "cash_blocked", "positions")
_MIDDLE = _record("Middle", "totals", "share_totals")
_TRADE = _items("trades")
_PROCESSED = _items("requests")
CHANGE = parse_schema(next(f for f in load("trader_head")["fields"]
                           if f["name"] == "changes")["type"]["items"])


_writers: dict[int, tuple[Any, Writer]] = {}  # by id(); the schema is kept: no id reuse


def _write(schema: Any, record: dict[str, Any]) -> bytes:
    hit = _writers.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = _writers[id(schema)] = (schema, _writer(schema))
    return hit[1](record)


def _writer(schema: Any) -> Writer:
    try:
        return compile_writer(schema)
    except Unsupported:
        def write(record: dict[str, Any]) -> bytes:
            buf = io.BytesIO()
            schemaless_writer(buf, schema, record)
            return buf.getvalue()
        return write


_long, _array, _string = long_bytes, array_bytes, string_bytes


class _Memo:
    """Bytes by object identity; the object is kept so its id cannot be reused meanwhile."""

    def __init__(self) -> None:
        self._items: dict[Any, tuple[object, bytes]] = {}

    def get(self, key: Any, obj: object) -> bytes | None:
        hit = self._items.get(key)
        return hit[1] if hit is not None and hit[0] is obj else None

    def put(self, key: Any, obj: object, data: bytes) -> bytes:
        if len(self._items) >= _CACHE_LIMIT:
            self._items.clear()
        self._items[key] = (obj, data)
        return data


_trades, _processed = _Memo(), _Memo()


# Straight from the dataclass: Trade's fields are the schema's (tested against trade_to).
_TRADE_FROM_ATTRS: Callable[[Any], bytes] = compile_writer(_TRADE, attrs=True)


def _trade(t: Trade) -> bytes:
    return _trades.get(id(t), t) or _trades.put(id(t), t, _TRADE_FROM_ATTRS(t))


def _request(rid: str, p: ProcessedRequest, to_record: Any) -> bytes:
    key = (id(p), rid)
    return _processed.get(key, p) or _processed.put(key, p, _write(_PROCESSED, to_record(rid, p)))


_exec_id = memo(string_bytes, _CACHE_LIMIT)  # ids (exec, trade, request) as Avro strings


# Whole arrays of those, from Rust where built (one call, not one per item), else Python.
def _trades_array(trades: Iterable[Trade]) -> bytes:
    return _array([_trade(t) for t in trades])


def _requests_array(items: Iterable[tuple[str, ProcessedRequest]], to_record: Any) -> bytes:
    return _array([_request(k, p, to_record) for k, p in items])


def _ids_array(ids: Iterable[str]) -> bytes:
    return _array([_exec_id(k) for k in ids])


trades_array, requests_array, ids_array = _trades_array, _requests_array, _ids_array
if NATIVE is not None:
    _native_memo = NATIVE.Memo
    trades_array = _native_memo(_TRADE_FROM_ATTRS, _CACHE_LIMIT).array
    ids_array = NATIVE.strings_array
    _request_memos: dict[Any, Any] = {}  # by the to_record function (one in practice)

    def requests_array(items: Iterable[tuple[str, ProcessedRequest]], to_record: Any) -> bytes:
        m = _request_memos.get(to_record)
        if m is None:
            m = _request_memos[to_record] = _native_memo(
                lambda k, p: _write(_PROCESSED, to_record(k, p)), _CACHE_LIMIT)
        return m.pairs(items)


def state_bytes(s: TraderState, version: int, processed_to: Any) -> bytes:
    head = _write(_HEAD, {
        "version": version, "trader_id": s.trader_id,
        "cash_available": s.cash_available, "cash_blocked": s.cash_blocked,
        "positions": [{"symbol": k, "available": p.available, "blocked": p.blocked}
                      for k, p in s.positions.items()]})
    middle = _write(_MIDDLE, {
        "totals": {name: getattr(s.totals, name) for name in _TOTALS},
        "share_totals": [{"symbol": k, "deposited": t.deposited, "withdrawn": t.withdrawn,
                          "bought": t.bought, "sold": t.sold} for k, t in s.share_totals.items()]})
    return b"".join((
        MAGIC, current("trader_state").fingerprint, head,
        trades_array(s.trades.values()),
        middle,
        requests_array(s.requests.items(), processed_to),
        ids_array(s.exec_ids),
        _array([_string(d) for d in s.days_closed]),
    ))
