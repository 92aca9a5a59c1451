"""The schema compatibility check, cross-checked against what fastavro really decodes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest
from fastavro.schema import expand_schema

import schemas
from brokerage.codec.avro import fingerprint_of
from brokerage.codec.compat import check_all, problems, released
from brokerage.entrypoints.schemas_cmd import run_check

FIXTURES = Path(__file__).parent / "fixtures"
HISTORY = schemas.DIR / "history"
PRIMITIVE_SAMPLES: dict[str, Any] = {"null": None, "boolean": True, "int": 7, "long": 42,
                                     "float": 1.5, "double": 2.5, "bytes": b"b", "string": "s"}


def _datum(s: Any, k: int) -> Any:
    """A valid datum for an expanded schema, taking the k-th branch of unions where it exists."""
    if isinstance(s, list):
        branch = s[min(k, len(s) - 1)]
        value = _datum(branch, k)
        return (branch["name"], value) if isinstance(branch, dict) and "fields" in branch else value
    if isinstance(s, str):
        return PRIMITIVE_SAMPLES[s]
    t = s["type"]
    if t in ("record", "error"):
        return {f["name"]: _datum(f["type"], k) for f in s["fields"]}
    if t == "enum":
        return s["symbols"][k % len(s["symbols"])]
    if t == "array":
        return [_datum(s["items"], k)]
    if t == "map":
        return {"key": _datum(s["values"], k)}
    if t == "fixed":
        return b"\0" * s["size"]
    return _datum(t, k)


def samples(schema: Any) -> list[Any]:
    """Data exercising every branch of unions up to five wide (trade_request.body has five)."""
    expanded = expand_schema(schema)
    return [_datum(expanded, k) for k in range(5)]


def transcode(writer: Any, reader: Any, datum: Any) -> Any:
    """Write `datum` with `writer` and read it back with `reader`, as fastavro really does."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(writer), datum)
    buf.seek(0)
    return fastavro.schemaless_reader(buf, fastavro.parse_schema(writer),
                                      fastavro.parse_schema(reader), return_record_name=True)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


# --- the shipped schemas and the release history --------------------------------------------


@pytest.mark.parametrize("name", schemas.NAMES)
def test_every_schema_has_a_release(name: str) -> None:
    versions = released(HISTORY, name)
    assert versions and versions[0].name == "v1.avsc"


def test_shipped_schemas_are_compatible_with_every_release() -> None:
    assert check_all() == {name: [] for name in schemas.NAMES}


def test_the_time_in_force_amend_is_released_as_v2() -> None:
    """v2 of these four is the release that lets an amend change the time in force. Docs and
    brokerage.* attributes added since are not in the canonical form, so not compared."""
    for name in ("trade_request", "order", "trade_event", "trader_state"):
        assert [p.name for p in released(HISTORY, name)] == ["v1.avsc", "v2.avsc"]
        assert fingerprint_of(load(HISTORY / name / "v2.avsc")) == fingerprint_of(
            schemas.load(name))


def test_run_check_passes_on_the_shipped_schemas() -> None:
    lines: list[str] = []
    assert run_check(out=lines.append) == 0
    assert "trade_request: backward ok, forward ok (vs v1, v2)" in lines
    assert lines[-1] == "all schemas compatible"


@pytest.mark.parametrize("name", schemas.NAMES)
def test_released_data_really_decodes_both_ways(name: str) -> None:
    current = schemas.load(name)
    for path in released(HISTORY, name):
        old = load(path)
        for datum in samples(old):
            transcode(old, current, datum)
        for datum in samples(current):
            transcode(current, old, datum)


# --- the fixtures: one incompatible change, one compatible evolution --------------------------


def test_incompatible_fixture_is_reported_both_ways() -> None:
    report = check_all(FIXTURES / "incompatible", HISTORY, ["trade_request"])
    assert report == {"trade_request": [
        "backward vs v1: TradeRequest.body[NewTrade].quantity: writer long cannot be read as "
        "string",
        "backward vs v1: TradeRequest.body[NewTrade].account: reader field has no default and "
        "the writer does not have it",
        "forward vs v1: TradeRequest.body[NewTrade].quantity: writer string cannot be read as "
        "long",
    ] + [  # the same against v2, which changed only AmendTrade
        "backward vs v2: TradeRequest.body[NewTrade].quantity: writer long cannot be read as "
        "string",
        "backward vs v2: TradeRequest.body[NewTrade].account: reader field has no default and "
        "the writer does not have it",
        "forward vs v2: TradeRequest.body[NewTrade].quantity: writer string cannot be read as "
        "long",
    ]}


def test_incompatible_fixture_fails_the_command() -> None:
    lines: list[str] = []
    rc = run_check(lines.append, FIXTURES / "incompatible", HISTORY, ["trade_request"])
    assert rc == 1
    assert lines[0] == "trade_request: backward FAILED, forward FAILED (vs v1, v2)"
    assert any("quantity: writer string cannot be read as long" in line for line in lines)


def test_incompatible_fixture_really_fails_in_fastavro() -> None:
    v1, bad = load(HISTORY / "trade_request" / "v1.avsc"), load(
        FIXTURES / "incompatible" / "trade_request.avsc")
    old_trade, new_trade = samples(v1)[0], samples(bad)[0]  # body is a NewTrade
    with pytest.raises(fastavro.read.SchemaResolutionError):
        transcode(v1, bad, old_trade)
    with pytest.raises(fastavro.read.SchemaResolutionError):
        transcode(bad, v1, new_trade)


def test_compatible_fixture_passes_and_decodes_both_ways() -> None:
    v1, new = load(HISTORY / "trade_request" / "v1.avsc"), load(
        FIXTURES / "compatible" / "trade_request.avsc")
    assert check_all(FIXTURES / "compatible", HISTORY, ["trade_request"]) == {"trade_request": []}
    for old_datum, new_datum in zip(samples(v1), samples(new), strict=True):
        read_new = transcode(v1, new, old_datum)  # backward: defaults fill the new fields
        assert read_new["source"] == "api"
        if old_datum["body"][0].endswith("NewTrade"):
            assert read_new["body"][1]["client_tag"] is None
            read_new["body"][1].pop("client_tag")
        read_new.pop("source")
        assert read_new == old_datum
        read_old = transcode(new, v1, new_datum)  # forward: the old reader skips them
        new_datum.pop("source")
        if new_datum["body"][0].endswith("NewTrade"):
            new_datum["body"][1].pop("client_tag")
        assert read_old == new_datum


# --- the rules, one at a time; every verdict is checked against fastavro ----------------------


def _enum(symbols: list[str], **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": symbols, **extra}


def _record(fields: list[dict[str, Any]], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": fields, **extra}


LIST = {"type": "record", "name": "Node", "fields": [
    {"name": "value", "type": "long"}, {"name": "next", "type": ["null", "Node"]}]}
REFS = _record([{"name": "a", "type": _enum(["X", "Y"])}, {"name": "b", "type": "E"}])
REFS_LESS = _record([{"name": "a", "type": _enum(["X"])}, {"name": "b", "type": "t.E"}])

# (reader, writer, datum written, None if compatible else a problem the checker must report);
# a non-record pair is checked as the type of field R.v
RULES: dict[str, tuple[Any, Any, Any, str | None]] = {
    "int to long": ("long", "int", 5, None),
    "int to double": ("double", "int", 5, None),
    "long to float": ("float", "long", 5, None),
    "float to double": ("double", "float", 1.5, None),
    "string to bytes": ("bytes", "string", "x", None),
    "bytes to string": ("string", "bytes", b"x", None),
    "long to int": ("int", "long", 5, "R.v: writer long cannot be read as int"),
    "double to float": ("float", "double", 1.5, "writer double cannot be read as float"),
    "string to long": ("long", "string", "x", "writer string cannot be read as long"),
    "removed enum symbol": (_enum(["A", "B"]), _enum(["A", "B", "C"]), "C",
                            "writer symbols ['C'] are not in reader enum E, which has no default"),
    "removed symbol, reader default": (_enum(["A", "B"], default="A"), _enum(["A", "B", "C"]),
                                       "C", None),
    "added enum symbol": (_enum(["A", "B", "C"]), _enum(["A", "B"]), "B", None),
    "union branch missing": (["null", "long"], ["null", "long", "string"], "x",
                             "R.v[string]: writer string matches no branch of reader union "
                             "[null, long]"),
    "union into non-union": ("long", ["null", "long"], None,
                             "R.v[null]: writer null cannot be read as long"),
    "union of promotable": ("double", ["int", "long"], 3, None),
    "plain into union": (["null", "long"], "int", 3, None),
    "plain missing from union": (["null", "string"], "long", 3,
                                 "writer long matches no branch of reader union [null, string]"),
    "missing default": (_record([{"name": "x", "type": "long"}, {"name": "y", "type": "long"}]),
                        _record([{"name": "x", "type": "long"}]), {"x": 1},
                        "R.y: reader field has no default and the writer does not have it"),
    "new field with default": (
        _record([{"name": "x", "type": "long"}, {"name": "y", "type": "long", "default": 0}]),
        _record([{"name": "x", "type": "long"}]), {"x": 1}, None),
    "removed field": (_record([{"name": "x", "type": "long"}]),
                      _record([{"name": "x", "type": "long"}, {"name": "y", "type": "string"}]),
                      {"x": 1, "y": "gone"}, None),
    "renamed field with alias": (_record([{"name": "z", "type": "long", "aliases": ["x"]}]),
                                 _record([{"name": "x", "type": "long"}]), {"x": 1}, None),
    "renamed record": (_record([{"name": "x", "type": "long"}], "S"),
                       _record([{"name": "x", "type": "long"}]), {"x": 1},
                       "R: writer record R cannot be read as record S"),
    "renamed record with alias": (_record([{"name": "x", "type": "long"}], "S", aliases=["R"]),
                                  _record([{"name": "x", "type": "long"}]), {"x": 1}, None),
    "fixed size": ({"type": "fixed", "name": "F", "size": 8},
                   {"type": "fixed", "name": "F", "size": 4}, b"abcd",
                   "writer fixed F (size 4) cannot be read as fixed F (size 8)"),
    "array items": ({"type": "array", "items": "int"}, {"type": "array", "items": "long"}, [1],
                    "R.v[]: writer long cannot be read as int"),
    "map values": ({"type": "map", "values": "double"}, {"type": "map", "values": "int"},
                   {"k": 1}, None),
    "named reference": (REFS_LESS, REFS, {"a": "X", "b": "Y"},
                        "R.b: writer symbols ['Y'] are not in reader enum E"),
    "recursive record": (LIST, LIST, {"value": 1, "next": {"value": 2, "next": None}}, None),
}


@pytest.mark.parametrize("rule", RULES)
def test_rule(rule: str) -> None:
    reader, writer, datum, expected = RULES[rule]
    if not (isinstance(reader, dict) and reader.get("type") == "record"):  # wrap, for the path
        reader, writer = _record([{"name": "v", "type": reader}]), _record(
            [{"name": "v", "type": writer}])
        datum = {"v": datum}
    found = problems(reader, writer)
    if expected is None:
        assert found == []
        transcode(writer, reader, datum)
    else:
        assert any(expected in p for p in found), found
        with pytest.raises(fastavro.read.SchemaResolutionError):
            transcode(writer, reader, datum)
