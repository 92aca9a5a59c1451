"""Avro binary writers compiled from a schema into one Python function each: byte for byte
what fastavro's `schemaless_writer` writes (property-tested against it), ~3-4x faster for
our small records, which the worker encodes a few of per input (README, Performance).

Covers what our schemas use: null, boolean, int, long, string, bytes, enum, record, array,
and unions of null with one other type. Anything else raises `Unsupported`, and the caller
keeps fastavro for that schema. A field missing from the record takes its default, as in
fastavro; a value of the wrong type raises (TypeError, AttributeError, KeyError).
Where the native writers are installed (native.py), the same schemas get those instead."""

from __future__ import annotations

from collections.abc import Callable
from keyword import iskeyword
from typing import Any

from .primitives import (
    _SMALL,
    NATIVE,
    _array_bytes,
    _string_bytes,
    array_bytes,
    big_bytes,
    blob_bytes,
    long_bytes,
    memo,
    string_bytes,
    zigzag,
)

__all__ = ["NATIVE", "Unsupported", "Writer", "array_bytes", "compile_writer", "long_bytes",
           "memo", "string_bytes", "zigzag"]

Writer = Callable[[dict[str, Any]], bytes]
_MISSING = object()


class Unsupported(Exception):
    pass


def compile_writer(schema: dict[str, Any], attrs: bool = False, use_native: bool = True
                   ) -> Writer:
    """`schema`: a record as fastavro's `parse_schema` returns it (named types resolved).
    `attrs`: records are objects whose attributes are the fields (our frozen dataclasses,
    whose names the schemas share; a str enum member is its value), not dicts: no dict is
    built per record to be written. `use_native`: False gives the Python writer always."""
    c = _Compiler(schema.get("__named_schemas", {}), attrs)
    name = c.record(schema)
    src = "\n".join(c.lines)
    scope = {"_Z": big_bytes, "_SM": _SMALL, "_S": _string_bytes, "_B": blob_bytes,
             "_A": _array_bytes, "_M": _MISSING, **c.consts}
    exec(compile(src, f"<avro writer {schema.get('name')}>", "exec"), scope)  # noqa: S102
    writer: Writer = scope[name]
    if use_native and NATIVE is not None:
        try:
            return NATIVE.Writer(schema, attrs)
        except ValueError:  # a type it does not cover
            pass
    return writer


class _Compiler:
    def __init__(self, named: dict[str, Any], attrs: bool = False) -> None:
        self.named, self.attrs = named, attrs
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {}
        self.functions: dict[str, str] = {}  # record name -> its function's name

    def record(self, schema: dict[str, Any]) -> str:
        key = schema.get("name", f"anon{len(self.functions)}")
        if key in self.functions:
            return self.functions[key]
        fn = self.functions[key] = f"_w{len(self.functions)}"
        parts, prelude = [], []
        for i, f in enumerate(schema["fields"]):
            var = f"v{i}"
            if "default" in f:
                name = repr(f["name"])
                get = f"getattr(r, {name}, _M)" if self.attrs else f"r.get({name}, _M)"
                prelude.append(f"    {var} = {get}")
                prelude.append(f"    if {var} is _M: {var} = {self._const(f['default'])}")
            elif self.attrs:
                if not f["name"].isidentifier() or iskeyword(f["name"]):
                    raise Unsupported(f"field {f['name']!r} is no attribute name")
                prelude.append(f"    {var} = r.{f['name']}")
            else:
                prelude.append(f"    {var} = r[{f['name']!r}]")
            parts.append(self.expr(f["type"], var))
        self.lines += [f"def {fn}(r):", *prelude,
                       f"    return b''.join(({', '.join(parts)},))" if parts else
                       "    return b''", ""]
        return fn

    def expr(self, t: Any, v: str) -> str:
        """An expression giving the bytes of value `v` of type `t`."""
        if isinstance(t, str) and t in self.named:
            t = self.named[t]
        if isinstance(t, list):
            return self._union(t, v)
        kind = t if isinstance(t, str) else t["type"]
        if kind in ("int", "long"):  # inline: most are small (one byte), and calls cost
            return f"(_SM[{v} + 64] if -64 <= {v} < 64 else _Z({v}))"
        if kind == "string":
            return f"_S({v})"
        if kind == "bytes":
            return f"_B({v})"
        if kind == "boolean":
            return f"(b'\\x01' if {v} else b'\\x00')"
        if kind == "null":
            return "b''"
        if kind == "enum":
            table = self._const({s: long_bytes(i) for i, s in enumerate(t["symbols"])})
            return f"{table}[{v}]"
        if kind == "record":
            return f"{self.record(t)}({v})"
        if kind == "array":
            item = self.expr(t["items"], "x")
            return f"_A([{item} for x in {v}])"
        raise Unsupported(f"type {kind}")

    def _union(self, branches: list[Any], v: str) -> str:
        if len(branches) != 2 or "null" not in branches:
            raise Unsupported(f"union {branches}")
        n = branches.index("null")
        other = self.expr(branches[1 - n], v)
        tags = (long_bytes(n), long_bytes(1 - n))
        return f"({tags[0]!r} if {v} is None else {tags[1]!r} + {other})"

    def _const(self, value: Any) -> str:
        if value is None or isinstance(value, bool | int | str | bytes):
            return repr(value)
        name = f"_c{len(self.consts)}"
        self.consts[name] = value
        return name
