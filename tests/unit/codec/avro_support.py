"""Shared by the codec tests: random valid records for any of our schemas (fields with a
default sometimes left out), fastavro's bytes for them, and every schema we write."""

from __future__ import annotations

import io
import json
from typing import Any

from fastavro import parse_schema, schemaless_writer
from hypothesis import strategies as st

import schemas
from brokerage.codec import state_writer
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
