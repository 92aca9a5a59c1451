"""The compiled Avro writers write exactly fastavro's bytes, for every schema they compile,
on random valid records (fields with a default sometimes left out): the Python writers and,
where built, the native ones (native/), each against fastavro."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastavro import parse_schema
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from brokerage.codec import compiled, primitives, state_writer
from brokerage.codec.compiled import Unsupported, compile_writer, long_bytes, zigzag
from brokerage.codec.state import trade_to
from brokerage.config import Settings
from brokerage.domain.state import Change, Fill, Superseded, Trade
from brokerage.domain.types import OrderType, Side, TimeInForce, TradeStatus
from tests.unit.codec.avro_support import LONG, SCHEMAS, fastavro_bytes, values

BACKENDS = [False, True] if compiled.NATIVE is not None else [False]
COMPILED = []
for _native in BACKENDS:
    for _name, _parsed in SCHEMAS:
        try:
            _w = compile_writer(_parsed, use_native=_native)
        except Unsupported:
            continue
        COMPILED.append((f"{'native' if _native else 'python'}:{_name}", _parsed, _w))


def test_the_native_writers_are_built_where_cargo_is() -> None:
    """`make setup` builds them wherever Rust is installed; then they must be in use."""
    if not (shutil.which("cargo") or (Path.home() / ".cargo" / "bin" / "cargo").exists()):
        pytest.skip("no Rust toolchain here: the Python writers serve")
    if not Settings().native:
        pytest.skip("BROKERAGE_NATIVE=false chose the Python writers")
    assert compiled.NATIVE is not None
    assert type(compile_writer(parse_schema(schemas.load("order")))).__name__ == "Writer"
    assert compiled.string_bytes is compiled.NATIVE.string_bytes


def test_the_hot_schemas_compile() -> None:
    """What the worker writes per input must not fall back to fastavro."""
    names = {n.split(":", 1)[1] for n, _, _ in COMPILED}
    assert {"trade_event", "order", "trader_head", "trader_state", "state_writer._TRADE",
            "state_writer._PROCESSED", "state_writer.CHANGE", "state_log._PREFIX"} <= names


@pytest.mark.parametrize(("name", "parsed", "writer"), COMPILED, ids=[n for n, _, _ in COMPILED])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_same_bytes_as_fastavro(name: str, parsed: Any, writer: Any, data: st.DataObject) -> None:
    record = data.draw(values(parsed, parsed.get("__named_schemas", {})))
    assert writer(record) == fastavro_bytes(parsed, record)


def test_a_union_of_two_types_is_left_to_fastavro() -> None:
    with pytest.raises(Unsupported):
        compile_writer(parse_schema({"type": "record", "name": "U", "fields": [
            {"name": "x", "type": ["string", "long"]}]}))


@pytest.mark.parametrize("native", BACKENDS)
def test_a_missing_field_without_default_raises(native: bool) -> None:
    w = compile_writer(parse_schema(schemas.load("order")), use_native=native)
    with pytest.raises(KeyError):
        w({})


@pytest.mark.parametrize("native", BACKENDS)
@pytest.mark.parametrize(("field", "value", "error"), [
    ("quantity", "7", TypeError), ("quantity", 2**63, ValueError),
    ("symbol", 7, (TypeError, AttributeError)), ("side", "SIDEWAYS", KeyError),
    ("limit_price", 1.5, TypeError)])
def test_a_value_of_the_wrong_type_raises(native: bool, field: str, value: Any,
                                          error: Any) -> None:
    parsed = parse_schema(schemas.load("order"))
    record = {"action": "NEW", "order_id": "o-1", "trade_id": "t-1", "trader_id": "a",
              "version": 1, "symbol": "AAPL", "side": "BUY", "quantity": 7,
              "order_type": "LIMIT", "time_in_force": "DAY", "limit_price": 18_000}
    assert compile_writer(parsed, use_native=native)(record) == fastavro_bytes(parsed, record)
    with pytest.raises(error):
        compile_writer(parsed, use_native=native)({**record, field: value})


@given(LONG)
def test_longs(n: int) -> None:
    assert long_bytes(n) == zigzag(n) == fastavro_bytes(parse_schema("long"), n)  # type: ignore[arg-type]
    assert primitives._long_bytes(n) == long_bytes(n)


@given(st.text(max_size=80), st.lists(st.binary(max_size=8), max_size=70))
def test_strings_and_arrays_from_either_backend(s: str, items: list[bytes]) -> None:
    assert compiled.string_bytes(s) == primitives._string_bytes(s) == fastavro_bytes(
        parse_schema("string"), s)  # type: ignore[arg-type]
    assert compiled.array_bytes(items) == primitives._array_bytes(items)


@pytest.mark.parametrize("n", [2**63, -(2**63) - 1])
def test_a_long_out_of_range_raises(n: int) -> None:
    for write in {long_bytes, primitives._long_bytes}:
        with pytest.raises(ValueError):
            write(n)


def as_object(value: Any) -> Any:
    """A drawn record as an object with the fields as attributes (what `attrs=True` takes)."""
    if isinstance(value, dict):
        return SimpleNamespace(**{k: as_object(v) for k, v in value.items()})
    if isinstance(value, list):
        return [as_object(v) for v in value]
    return value


ATTR_COMPILED = [(n, p, compile_writer(p, attrs=True, use_native=n.startswith("native:")))
                 for n, p, _ in COMPILED]


@pytest.mark.parametrize(("name", "parsed", "writer"), ATTR_COMPILED,
                         ids=[n for n, _, _ in ATTR_COMPILED])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_same_bytes_from_attributes(name: str, parsed: Any, writer: Any,
                                    data: st.DataObject) -> None:
    record = data.draw(values(parsed, parsed.get("__named_schemas", {})))
    assert writer(as_object(record)) == fastavro_bytes(parsed, record)


def test_a_field_that_is_no_attribute_name_is_refused() -> None:
    with pytest.raises(Unsupported):
        compile_writer(parse_schema({"type": "record", "name": "K", "fields": [
            {"name": "from", "type": "long"}]}), attrs=True)


@pytest.mark.parametrize("native", BACKENDS)
def test_a_trade_writes_the_same_from_attributes_as_from_its_record(native: bool) -> None:
    t = Trade("t-1", "r-1", Side.BUY, "AAPL", OrderType.LIMIT, TimeInForce.GTC, 100, 18_000,
              18_000, status=TradeStatus.PENDING_REPLACE, prior_status=TradeStatus.NEW,
              pending_qty=50, fills=(Fill("e-1", 10, 17_990, 5),),
              history=(Change(1, TradeStatus.NEW, "r-1"),),
              superseded=(Superseded("o-1", "r-1", 1, 100, 18_000, TimeInForce.DAY, 0, 2, "a"),))
    write = compile_writer(state_writer._TRADE, attrs=True, use_native=native)
    assert write(t) == fastavro_bytes(state_writer._TRADE, trade_to(t))
    assert state_writer._TRADE_FROM_ATTRS(t) == write(t)
