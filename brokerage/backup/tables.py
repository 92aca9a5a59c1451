"""Trader tables as faust's RocksDB store keeps them: one database per partition, raw bytes,
with the last applied changelog offset under faust's offset key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rocksdict
from faust.stores.rocksdb import RocksDBOptions, Store

from brokerage.config import Settings

TABLE = "traders"  # streams/app.py: app.Table("traders")
OFFSET_KEY: bytes = Store.offset_key


def worker_tables_dir(s: Settings, worker_id: str) -> Path:
    """Where a worker's faust keeps its tables: <datadir>/v1/tables (faust's appdir layout)."""
    return Path(s.state_dir).resolve() / "workers" / worker_id / "v1" / "tables"


def db_name(partition: int) -> str:
    return f"{TABLE}-{partition}.db"


def _options() -> RocksDBOptions:
    # Small buffers: a backup or restore is not a long-lived store.
    return RocksDBOptions(write_buffer_size=4 * 1024 * 1024, block_cache_size=8 * 1024 * 1024,
                          use_rocksdict=True)


def write_partition(root: Path, partition: int, values: dict[bytes, bytes], offset: int) -> Path:
    path = root / "tables" / db_name(partition)
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _options().open(path)
    try:
        for key, value in values.items():
            db.put(key, value)
        db.put(OFFSET_KEY, str(offset).encode())
        db.flush()
    finally:
        db.close()
    return path


def read_partition(path: Path, read_only: bool = False) -> tuple[dict[bytes, bytes], int | None]:
    """(values, persisted offset) of one partition database; `read_only` also while a worker
    has it open (as of its write-ahead log when opened)."""
    db: Any = (rocksdict.Rdict(str(path), options=rocksdict.Options(raw_mode=True),
                               access_type=rocksdict.AccessType.read_only())
               if read_only else _options().open(path))
    try:
        values = {bytes(k): bytes(v) for k, v in db.items()}
    finally:
        db.close()
    raw = values.pop(OFFSET_KEY, None)
    return values, int(raw) if raw is not None else None
