"""The compiled Avro writers write exactly fastavro's bytes, for every schema they compile,
on random valid records (fields with a default sometimes left out)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer
from hypothesis import given, settings
from hypothesis import strategies as st

import schemas
from brokerage.codec import state_writer
from brokerage.codec.compiled import Unsupported, compile_writer, long_bytes, zigzag
from brokerage.codec.state_log import _PREFIX

LONG = st.integers(-(2**63), 2**63 - 1)


def values(t: Any, named: dict[str, Any]) -> st.SearchStrategy[Any]:
    if isinstance(t, str) and t in named:
        t = named[t]
    if isinstance(t, list):
        return st.one_of([values(b, named) for b in t])
    kind = t if isinstance(t, str) else t["type"]
    simple: dict[str, st.SearchStrategy[Any]] = {
        "long": LONG, "int": st.integers(-(2**31), 2**31 - 1), "string": st.text(max_size=40),
        "bytes": st.binary(max_size=40), "boolean": st.booleans(), "null": st.none()}
    if kind in simple:
        return simple[kind]
    if kind == "enum":
        return st.sampled_from(t["symbols"])
    if kind == "array":
        return st.lists(values(t["items"], named), max_size=4)
    assert kind == "record", kind
    required = {f["name"]: values(f["type"], named) for f in t["fields"] if "default" not in f}
    optional = {f["name"]: values(f["type"], named) for f in t["fields"] if "default" in f}
    return st.fixed_dictionaries(required, optional=optional)


def fastavro_bytes(parsed: Any, record: dict[str, Any]) -> bytes:
    buf = io.BytesIO()
    schemaless_writer(buf, parsed, record)
    return buf.getvalue()


def _all_schemas() -> list[tuple[str, Any]]:
    out = [(n, parse_schema(schemas.load(n))) for n in schemas.NAMES]
    for path in sorted((schemas.DIR / "history").glob("*/*.avsc")):
        out.append((f"{path.parent.name}/{path.stem}", parse_schema(json.loads(path.read_text()))))
    # The worker's partial records (codec/state_writer.py, codec/state_log.py).
    out += [(f"state_writer.{n}", getattr(state_writer, n))
            for n in ("_HEAD", "_TRADE", "_PROCESSED", "_MIDDLE", "CHANGE")]
    out.append(("state_log._PREFIX", _PREFIX))
    return out


SCHEMAS = _all_schemas()
COMPILED = []
for _name, _parsed in SCHEMAS:
    try:
        COMPILED.append((_name, _parsed, compile_writer(_parsed)))
    except Unsupported:
        pass


def test_the_hot_schemas_compile() -> None:
    """What the worker writes per input must not fall back to fastavro."""
    names = {n for n, _, _ in COMPILED}
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


def test_a_missing_field_without_default_raises() -> None:
    w = compile_writer(parse_schema(schemas.load("order")))
    with pytest.raises(KeyError):
        w({})


@given(LONG)
def test_longs(n: int) -> None:
    assert long_bytes(n) == zigzag(n) == fastavro_bytes(parse_schema("long"), n)  # type: ignore[arg-type]


def test_a_long_out_of_range_raises() -> None:
    with pytest.raises(ValueError):
        long_bytes(2**63)
