"""Contracts carried in Kafka headers rather than in the value (schemas/dead_letter.avsc):
each field is one header, named by its `brokerage.header` attribute (else the field name);
strings are UTF-8 text, int and long decimal text, and a null field is a header left out."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import schemas

HEADER = "brokerage.header"
INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}


def fields(name: str) -> dict[str, dict[str, Any]]:
    """Header name -> its field in schema `name`."""
    return {f.get(HEADER, f["name"]): f for f in schemas.load(name)["fields"]}


def problems(name: str, headers: Mapping[str, bytes] | Iterable[tuple[str, bytes]]
             ) -> list[str]:
    """What is wrong with these headers for schema `name`; empty when they follow it."""
    pairs = list(headers.items() if isinstance(headers, Mapping) else headers)
    found: list[str] = []
    known = fields(name)
    seen = [h for h, _ in pairs]
    for h in sorted({h for h in seen if seen.count(h) > 1}):
        found.append(f"{h}: more than once")
    for h, value in pairs:
        if h not in known:
            found.append(f"{h}: not in {name}.avsc")
        else:
            found += [f"{h}: {p}" for p in _value_problems(known[h]["type"], value)]
    for h, f in known.items():
        if h not in seen and not _nullable(f["type"]):
            found.append(f"{h}: missing")
    return found


def _nullable(t: Any) -> bool:
    return isinstance(t, list) and "null" in t


def _value_problems(t: Any, value: bytes) -> list[str]:
    kind = next(b for b in t if b != "null") if isinstance(t, list) else t
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return ["not UTF-8"]
    if kind in INT_RANGE:
        low, high = INT_RANGE[kind]
        if not (re.fullmatch(r"-?[0-9]+", text) and low <= int(text) <= high):
            return [f"{text!r} is not a decimal {kind}"]
    elif kind != "string":
        return [f"a header cannot carry {kind}"]
    return []
