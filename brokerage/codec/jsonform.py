"""The JSON form of our Avro records, for HTTP: a JSON Schema per record, derived from the
.avsc files, so the API's bodies follow the same contracts as the topics.

- An Avro enum is a JSON string enum with the same symbols. So is a string field that names a
  symbol set in `brokerage.enum`; the set itself is in the schema's `brokerage.enums`
  (status and reason codes: strings in Avro, so that adding a code stays compatible).
- A long field marked `"brokerage.money": "minor"` (integer minor units, cents) is a decimal
  string with at most two places: 19050 -> "190.50".
- A field that is nullable (a union with null) or has a default is not required.
- Docs become descriptions. Records nest inline (ours are not recursive).

Custom attributes and docs are not part of the Parsing Canonical Form, so none of this
changes a schema's fingerprint.
"""

from __future__ import annotations

from typing import Any

import schemas

MONEY, ENUM, ENUMS = "brokerage.money", "brokerage.enum", "brokerage.enums"
PLACES = 2  # minor units per unit of currency: 10**PLACES
DECIMAL = {"type": "string", "format": "decimal", "pattern": rf"^-?[0-9]+(\.[0-9]{{1,{PLACES}}})?$"}
NULL = {"type": "null"}
PRIMITIVES: dict[str, dict[str, Any]] = {
    "null": NULL, "boolean": {"type": "boolean"}, "int": {"type": "integer"},
    "long": {"type": "integer"}, "float": {"type": "number"}, "double": {"type": "number"},
    "string": {"type": "string"}, "bytes": {"type": "string", "contentEncoding": "base64"},
}


def records(name: str) -> dict[str, dict[str, Any]]:
    """Every record of schemas/<name>.avsc, by its short name -> its JSON Schema."""
    return _Forms(schemas.load(name)).records


def enums(name: str) -> dict[str, list[str]]:
    """Every symbol set of schemas/<name>.avsc: its Avro enums and its `brokerage.enums`."""
    return _Forms(schemas.load(name)).enums


def decimal(minor: int) -> str:
    """Minor units as the JSON form's decimal string: 19050 -> "190.50"."""
    sign, digits = "-" if minor < 0 else "", str(abs(minor)).rjust(PLACES + 1, "0")
    return f"{sign}{digits[:-PLACES]}.{digits[-PLACES:]}"


def nullable(form: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [form, NULL]}


class _Forms:
    def __init__(self, top: dict[str, Any]) -> None:
        self.enums: dict[str, list[str]] = {k: list(v) for k, v in top.get(ENUMS, {}).items()}
        self.records: dict[str, dict[str, Any]] = {}
        self.named: dict[str, dict[str, Any]] = {}  # full name -> form
        self.form(top, top.get("namespace", ""))

    def form(self, t: Any, ns: str) -> dict[str, Any]:
        if isinstance(t, list):
            branches = [self.form(b, ns) for b in t if b != "null"]
            one = branches[0] if len(branches) == 1 else {"oneOf": branches}
            return nullable(one) if "null" in t else one
        if isinstance(t, str):
            return dict(PRIMITIVES[t]) if t in PRIMITIVES else self.named[_full(t, ns)]
        kind = t["type"]
        if kind == "array":
            return {"type": "array", "items": self.form(t["items"], ns)}
        if kind == "map":
            return {"type": "object", "additionalProperties": self.form(t["values"], ns)}
        if kind not in ("record", "enum", "fixed"):  # {"type": "long"} and the like
            return self.form(kind, ns)
        ns = t.get("namespace", ns) if "." not in t["name"] else t["name"].rpartition(".")[0]
        short = t["name"].rpartition(".")[2]
        if kind == "enum":
            self.enums.setdefault(short, list(t["symbols"]))
            out: dict[str, Any] = {"title": short, "type": "string", "enum": list(t["symbols"])}
        elif kind == "fixed":
            out = {"title": short, **PRIMITIVES["bytes"]}
        else:
            out = self.record(t, short, ns)
        if "doc" in t:
            out["description"] = t["doc"]
        self.named[f"{ns}.{short}" if ns else short] = out
        return out

    def record(self, t: dict[str, Any], short: str, ns: str) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        out = {"title": short, "type": "object", "properties": props, "required": required,
               "additionalProperties": False}
        self.records[short] = out
        for f in t["fields"]:
            props[f["name"]] = self.field(f, ns)
            if "default" not in f and not (isinstance(f["type"], list) and "null" in f["type"]):
                required.append(f["name"])
        return out

    def field(self, f: dict[str, Any], ns: str) -> dict[str, Any]:
        t, money, enum = f["type"], f.get(MONEY), f.get(ENUM)
        branches = [b for b in t if b != "null"] if isinstance(t, list) else [t]
        base = branches[0] if len(branches) == 1 else None
        if money is not None and (money != "minor" or base != "long"):
            raise ValueError(f"{f['name']}: {MONEY} is 'minor' on a long, not {money!r}")
        if enum is not None and (enum not in self.enums or base != "string"):
            raise ValueError(f"{f['name']}: {ENUM} {enum!r} needs a string and {ENUMS}")
        if money:
            out: dict[str, Any] = dict(DECIMAL)
        elif enum:
            out = {"type": "string", "enum": list(self.enums[enum])}
        else:
            out = self.form(t, ns)
        if (money or enum) and isinstance(t, list):  # the union with null
            out = nullable(out)
        if "default" in f:
            out = {**out, "default": decimal(f["default"]) if money and f["default"] is not None
                   else f["default"]}
        return {**out, "description": f["doc"]} if "doc" in f else out


def _full(name: str, ns: str) -> str:
    return name if "." in name or not ns else f"{ns}.{name}"
