"""The JSON form derived from the Avro schemas, and the schema annotations it rests on: money
markers, symbol sets and docs, none of which may change a fingerprint."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

import schemas
from brokerage.codec import jsonform
from brokerage.codec.avro import fingerprint_of

# A long whose doc says "minor units" but that is not always money.
SOMETIMES_MONEY = {("Deposit", "amount"), ("Withdraw", "amount")}  # shares when symbol is set


def named(t: Any) -> Iterator[dict[str, Any]]:
    """Every named type (record, enum, fixed) defined inside `t`."""
    if isinstance(t, list):
        for b in t:
            yield from named(b)
    elif isinstance(t, dict):
        if t["type"] in ("record", "enum", "fixed"):
            yield t
        for f in t.get("fields", []):
            yield from named(f["type"])
        for part in ("items", "values"):
            yield from named(t.get(part))


def fields(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for t in named(schemas.load(name)):
        for f in t.get("fields", []):
            yield t["name"], f


def bare(t: Any) -> Any:
    """The schema without docs and brokerage.* attributes."""
    if isinstance(t, list):
        return [bare(x) for x in t]
    if isinstance(t, dict):
        return {k: bare(v) for k, v in t.items() if k != "doc" and not k.startswith("brokerage.")}
    return t


def test_decimal() -> None:
    assert [jsonform.decimal(m) for m in (19050, 5, -5, 0, 100, -123456)] == [
        "190.50", "0.05", "-0.05", "0.00", "1.00", "-1234.56"]


def test_new_trade() -> None:
    form = jsonform.records("trade_request")["NewTrade"]
    props = form["properties"]
    assert form["required"] == ["side", "symbol", "quantity"]  # null or a default: optional
    assert props["side"]["enum"] == ["BUY", "SELL"]
    assert props["limit_price"]["anyOf"] == [jsonform.DECIMAL, jsonform.NULL]
    assert props["quantity"]["type"] == "integer"
    assert props["time_in_force"]["default"] == "DAY"
    assert form["additionalProperties"] is False


def test_money_defaults_and_symbol_sets() -> None:
    props = jsonform.records("trade_event")["TradeEvent"]["properties"]
    assert props["fee"] == {**jsonform.DECIMAL, "default": "0.00",
                            "description": "Fee charged by the last fill, minor units."}
    assert props["reason"]["anyOf"][0]["enum"][0] == "MALFORMED"
    trade = jsonform.records("trader_state")["TradeEntry"]["properties"]
    assert trade["fills"]["items"]["properties"]["price"]["format"] == "decimal"


@pytest.mark.parametrize("name", schemas.NAMES)
def test_every_schema_has_a_json_form_and_valid_markers(name: str) -> None:
    """Builds (markers on the right types, every named symbol set declared) and is JSON."""
    json.dumps(jsonform.records(name))


@pytest.mark.parametrize(("field", "error"), [
    ({"name": "x", "type": "string", "brokerage.money": "minor"}, "on a long"),
    ({"name": "x", "type": "long", "brokerage.money": "cents"}, "on a long"),
    ({"name": "x", "type": "long", "brokerage.enum": "Side"}, "needs a string"),
    ({"name": "x", "type": "string", "brokerage.enum": "Nope"}, "needs a string"),
])
def test_bad_markers_are_refused(field: dict[str, Any], error: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    schema = {"type": "record", "name": "R", "brokerage.enums": {"Side": ["BUY"]},
              "fields": [field]}
    monkeypatch.setattr(schemas, "load", lambda _: schema)
    with pytest.raises(ValueError, match=error):
        jsonform.records("r")


@pytest.mark.parametrize("name", schemas.NAMES)
def test_money_is_marked_where_the_doc_says_minor_units(name: str) -> None:
    for record, f in fields(name):
        says = "minor units" in f.get("doc", "").lower() and f["type"] in ("long",
                                                                          ["null", "long"])
        marked = f.get(jsonform.MONEY) == "minor"
        assert marked == (says and (record, f["name"]) not in SOMETIMES_MONEY), (record, f)


@pytest.mark.parametrize("name", schemas.NAMES)
def test_every_field_and_named_type_has_a_doc(name: str) -> None:
    undocumented = [t["name"] for t in named(schemas.load(name)) if not t.get("doc")]
    undocumented += [f"{r}.{f['name']}" for r, f in fields(name) if not f.get("doc")]
    assert undocumented == []


@pytest.mark.parametrize("name", schemas.NAMES)
def test_docs_and_markers_leave_the_fingerprint_alone(name: str) -> None:
    schema = schemas.load(name)
    assert fingerprint_of(bare(schema)) == fingerprint_of(schema)
    assert bare(schema) != schema
