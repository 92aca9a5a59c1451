"""The native Avro reader (native/src/reader.rs) returns what fastavro returns, for every
schema it reads, on random valid records; on damaged bytes it raises ValueError or, when it
reads something, fastavro reads the same thing from the same bytes: it is never more lenient
and never differs. `avro.decode` uses it for the current schemas."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastavro import schemaless_reader
from hypothesis import given, settings
from hypothesis import strategies as st

from brokerage.codec import avro
from brokerage.codec.compiled import NATIVE
from tests.unit.codec.avro_support import SCHEMAS, fastavro_bytes, values

pytestmark = pytest.mark.skipif(NATIVE is None, reason="the native reader is not built here")
READERS = [(n, p, NATIVE.Reader(p)) for n, p in SCHEMAS] if NATIVE is not None else []
IDS = [n for n, _, _ in READERS]


def fastavro_read(parsed: Any, data: bytes) -> tuple[Any, int]:
    buf = io.BytesIO(data)
    return schemaless_reader(buf, parsed, None, return_record_name=True), buf.tell()


@pytest.mark.parametrize(("name", "parsed", "reader"), READERS, ids=IDS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_same_records_as_fastavro(name: str, parsed: Any, reader: Any,
                                  data: st.DataObject) -> None:
    raw = fastavro_bytes(parsed, data.draw(values(parsed, parsed.get("__named_schemas", {}))))
    assert reader(raw) == fastavro_read(parsed, raw) == (fastavro_read(parsed, raw)[0], len(raw))


def damage(draw: st.DrawFn, raw: bytes) -> bytes:
    b = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["flip", "cut", "grow", "insert"]))
        if how == "flip" and b:
            i = draw(st.integers(0, len(b) - 1))
            b[i] ^= 1 << draw(st.integers(0, 7))
        elif how == "cut":
            del b[draw(st.integers(0, len(b))):]
        elif how == "grow":
            b += draw(st.binary(min_size=1, max_size=12))
        else:
            i = draw(st.integers(0, len(b)))
            b[i:i] = draw(st.binary(min_size=1, max_size=3))
    return bytes(b)


@pytest.mark.parametrize(("name", "parsed", "reader"),
                         [r for r in READERS if r[0] in (
                             "trade_request", "execution_report", "input_frame", "order",
                             "trader_head", "trader_state")], ids=lambda x: str(x)[:20])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_damaged_bytes_raise_or_read_as_fastavro_reads_them(
        name: str, parsed: Any, reader: Any, data: st.DataObject) -> None:
    raw = fastavro_bytes(parsed, data.draw(values(parsed, parsed.get("__named_schemas", {}))))
    bad = damage(data.draw, raw)
    try:
        got = reader(bad)
    except ValueError:
        return
    assert got == fastavro_read(parsed, bad)


def test_a_huge_block_count_or_length_is_refused_at_once() -> None:
    r = NATIVE.Reader(dict(SCHEMAS)["trader_state"])
    for garbage in (b"\x02\x41" + b"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01",
                    b"\x02\x41" + b"\x00" * 3 + b"\xfe\xff\xff\xff\x0f", b"\xff" * 11):
        with pytest.raises(ValueError):
            r(garbage)


def test_decode_takes_the_native_reader_and_reports_damage_as_fastavro_did() -> None:
    rec = {"request_id": "r-1", "trader_id": "t-1", "body": (
        "brokerage.v1.CancelTrade", {"trade_id": "x"})}
    raw = avro.encode("trade_request", rec)
    assert avro._native_reader("trade_request") is not None
    assert avro.decode("trade_request", raw) == avro.decode("trade_request", raw, reference=True)
    for bad, reason in ((raw[:-1], "BAD_BODY"), (raw + b"\x00", "TRAILING_BYTES")):
        for reference in (False, True):
            with pytest.raises(avro.DecodeError) as err:
                avro.decode("trade_request", bad, reference=reference)
            assert err.value.reason == reason
