"""The codec across schema versions: a new reader reads old data, an old reader reads new data.

Each test runs against a temporary copy of schemas/ (current files and history) in which one
trade_event version lacks `fee`, a field with a default; the codec's caches are cleared around.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastavro import parse_schema, schemaless_writer

import schemas
from brokerage.codec import avro
from brokerage.codec.compat import check_all

NAME = "trade_event"
NEW: dict[str, Any] = schemas.load(NAME)
OLD: dict[str, Any] = {**NEW, "fields": [f for f in NEW["fields"] if f["name"] != "fee"]}
RECORD: dict[str, Any] = {
    "event_id": "exec:x1", "kind": "UPDATE", "trader_id": "alice", "request_id": None,
    "trade_id": "alice.1", "accepted": True, "status": "FILLED", "reason": None, "message": "",
    "cum_qty": 10, "last_qty": 10, "last_price": 19_000, "fee": 100, "order_id": "alice.1:0",
}
WITHOUT_FEE = {k: v for k, v in RECORD.items() if k != "fee"}


def _clear_caches() -> None:
    schemas.load.cache_clear()
    avro.current.cache_clear()
    avro.writers.cache_clear()


@pytest.fixture
def schema_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A scratch copy of schemas/ that the codec reads instead of the real one."""
    d = tmp_path / "schemas"
    shutil.copytree(schemas.DIR, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(schemas, "DIR", d)
    _clear_caches()
    yield d
    _clear_caches()  # before monkeypatch restores DIR, so nothing keeps the scratch schemas


def _write(path: Path, schema: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=2))


def _single_object(schema: dict[str, Any], record: dict[str, Any]) -> bytes:
    """What a producer using `schema` sends: built by hand, not with the codec under test."""
    buf = io.BytesIO(avro.MAGIC + avro.fingerprint_of(schema))
    buf.seek(0, io.SEEK_END)
    schemaless_writer(buf, parse_schema(schema), record)
    return buf.getvalue()


def test_the_two_versions_differ_and_are_compatible(schema_dir: Path) -> None:
    assert avro.fingerprint_of(OLD) != avro.fingerprint_of(NEW)
    _write(schema_dir / "history" / NAME / "v1.avsc", OLD)
    assert check_all(names=[NAME]) == {NAME: []}


def test_current_reader_reads_data_from_an_old_writer(schema_dir: Path) -> None:
    _write(schema_dir / "history" / NAME / "v1.avsc", OLD)  # released; current has `fee`
    decoded = avro.decode(NAME, _single_object(OLD, WITHOUT_FEE))
    assert decoded == {**WITHOUT_FEE, "fee": 0}  # the reader's default
    assert avro.decode(NAME, avro.encode(NAME, RECORD)) == RECORD  # and its own data as before


def test_old_reader_reads_data_from_a_new_writer(schema_dir: Path) -> None:
    # An old deployment: its current schema lacks `fee`, but it already ships the newer
    # version in its history (readers are upgraded before writers), so it knows the fingerprint.
    _write(schema_dir / f"{NAME}.avsc", OLD)
    _write(schema_dir / "history" / NAME / "v1.avsc", OLD)
    _write(schema_dir / "history" / NAME / "v2.avsc", NEW)
    assert avro.decode(NAME, _single_object(NEW, RECORD)) == WITHOUT_FEE  # `fee` skipped


def test_old_reader_that_never_saw_the_new_version_rejects_it(schema_dir: Path) -> None:
    # Forward compatibility needs the writer schema: an unknown fingerprint is dead-lettered.
    _write(schema_dir / f"{NAME}.avsc", OLD)
    for released in (schema_dir / "history" / NAME).glob("v*.avsc"):
        released.unlink()  # the real history may already hold the current version
    _write(schema_dir / "history" / NAME / "v1.avsc", OLD)
    with pytest.raises(avro.DecodeError) as err:
        avro.decode(NAME, _single_object(NEW, RECORD))
    assert err.value.reason == "UNKNOWN_FINGERPRINT"


def test_caches_are_back_on_the_real_schemas() -> None:
    assert avro.current(NAME).fingerprint == avro.fingerprint_of(NEW)
    assert schemas.DIR == Path(schemas.__file__).parent
