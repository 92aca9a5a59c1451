"""Avro single-object encoding (spec: C3 01, 8-byte little-endian CRC-64-AVRO, body).

Any Avro client can read our bytes without this module. The decoder finds the writer schema
by fingerprint among the current and released versions (schemas/history) and resolves it
into the current reader schema, so old and new producers both work.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint, to_parsing_canonical_form

import schemas

from .compiled import NATIVE, Unsupported, Writer, compile_writer

MAGIC = b"\xc3\x01"
HEADER = 10


class DecodeError(ValueError):
    """Bytes we cannot turn into a record. `reason` is a short code for the dead-letter topic."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True)
class SchemaVersion:
    parsed: Any
    fingerprint: bytes


def fingerprint_of(schema: dict[str, Any]) -> bytes:
    parsed = parse_schema(schema, _write_hint=False)
    return bytes.fromhex(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"))


def _version(schema: dict[str, Any]) -> SchemaVersion:
    return SchemaVersion(parse_schema(schema), fingerprint_of(schema))


@cache
def current(name: str) -> SchemaVersion:
    return _version(schemas.load(name))


@cache
def writers(name: str) -> dict[bytes, SchemaVersion]:
    """Every schema version we accept from writers: the released ones and the current one."""
    found = {}
    for path in sorted((schemas.DIR / "history" / name).glob("*.avsc")):
        v = _version(json.loads(path.read_text()))
        found[v.fingerprint] = v
    cur = current(name)
    found[cur.fingerprint] = cur
    return found


@cache
def _compiled(name: str) -> Writer | None:
    try:
        return compile_writer(current(name).parsed)
    except Unsupported:  # fastavro writes it
        return None


@cache
def _native_reader(name: str) -> Any:
    """The Rust reader of the current schema (native/), if built and the schema is covered."""
    try:
        return NATIVE.Reader(current(name).parsed) if NATIVE is not None else None
    except ValueError:
        return None


def encode(name: str, record: dict[str, Any], reference: bool = False) -> bytes:
    """`reference`: fastavro's bytes, never a compiled writer's (what tests compare with)."""
    v = current(name)
    writer = None if reference else _compiled(name)
    if writer is not None:
        return MAGIC + v.fingerprint + writer(record)
    buf = io.BytesIO()
    buf.write(MAGIC)
    buf.write(v.fingerprint)
    schemaless_writer(buf, v.parsed, record)
    return buf.getvalue()


def decode(name: str, data: bytes, reference: bool = False) -> dict[str, Any]:
    """Unions of records come back as (full name, record) tuples, as `encode` takes them.
    Bytes in the current schema are read by the native reader where built (`reference`:
    by fastavro always); older schemas are resolved by fastavro."""
    if len(data) < HEADER:
        raise DecodeError("TRUNCATED", f"{len(data)} bytes is shorter than the header")
    if data[:2] != MAGIC:
        raise DecodeError("BAD_MAGIC", f"starts with {data[:2].hex()}, not c301")
    writer = writers(name).get(data[2:HEADER])
    if writer is None:
        raise DecodeError("UNKNOWN_FINGERPRINT", f"{data[2:HEADER].hex()} is not a {name}")
    reader = current(name)
    native = None if reference or writer is not reader else _native_reader(name)
    if native is not None:
        try:
            record, end = native(data, HEADER)
        except ValueError as exc:
            raise DecodeError("BAD_BODY", f"{type(exc).__name__}: {exc}") from exc
        if end != len(data):
            raise DecodeError("TRAILING_BYTES", f"{len(data) - end} bytes after the record")
        return record
    buf = io.BytesIO(data)
    buf.seek(HEADER)
    try:
        # Same schema: skip resolution, which costs time on the hot path.
        resolve = None if writer is reader else reader.parsed
        record = schemaless_reader(buf, writer.parsed, resolve, return_record_name=True)
    except Exception as exc:  # fastavro raises many types on garbage
        raise DecodeError("BAD_BODY", f"{type(exc).__name__}: {exc}") from exc
    if buf.tell() != len(data):
        raise DecodeError("TRAILING_BYTES", f"{len(data) - buf.tell()} bytes after the record")
    if not isinstance(record, dict):
        raise DecodeError("BAD_BODY", "not a record")
    return record
