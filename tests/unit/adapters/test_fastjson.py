"""fastjson reads and writes what the standard library does, for every JSON value: orjson
where it can, json for the rest (big integers, non-string keys, NaN), errors included."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokerage.adapters import fastjson

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=20),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(scalars, lambda kids: st.one_of(
    st.lists(kids, max_size=4), st.dictionaries(st.text(max_size=8), kids, max_size=4)),
    max_leaves=20)


@given(values)
def test_the_same_values_both_ways(v: object) -> None:
    assert json.loads(fastjson.dumpb(v)) == v
    assert fastjson.loads(json.dumps(v)) == json.loads(json.dumps(v))
    assert fastjson.loads(fastjson.dumps(v).encode()) == v


def test_what_orjson_refuses_goes_through_json() -> None:
    assert fastjson.dumps({1: 2**80}) == '{"1":1208925819614629174706176}'
    assert fastjson.loads(b'{"q": 1208925819614629174706176}') == {"q": 2**80}
    assert math.isnan(fastjson.loads("NaN"))
    with pytest.raises(ValueError):
        fastjson.loads(b"{not json")
    with pytest.raises(TypeError):
        fastjson.dumps({"x": object()})
