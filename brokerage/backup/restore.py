"""`brokerage restore`: put a backup's tables where a stopped worker keeps them. On start the
worker reads each partition's persisted offset and catches up from the changelog after it."""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from pathlib import Path

from brokerage.config import Settings

from . import manifest, tables
from .manifest import BackupError, Manifest


def _locked(tables_dir: Path) -> bool:
    """True while a process (a running worker) holds a RocksDB lock in `tables_dir`."""
    for lock in tables_dir.glob("*/LOCK"):
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.lockf(fd, fcntl.LOCK_UN)
        except OSError:
            return True
        finally:
            os.close(fd)
    return False


def restore(root: Path, s: Settings, worker_id: str, force: bool = False) -> Manifest:
    m = manifest.check(root)
    if m["app_id"] != s.app_id:
        raise BackupError(f"the backup is of app {m['app_id']!r}, not {s.app_id!r}")
    target = tables.worker_tables_dir(s, worker_id)
    if target.exists() and _locked(target):
        raise BackupError(f"worker {worker_id} is running (its tables are locked): stop it first")
    if target.exists() and any(target.iterdir()):
        if not force:
            raise BackupError(f"{target} already has tables: --force moves them aside")
        target.rename(target.with_name(f"tables.before-restore-{int(time.time())}"))
    target.mkdir(parents=True, exist_ok=True)
    for p in m["offsets"]:
        name = tables.db_name(int(p))
        shutil.copytree(root / "tables" / name, target / name)
    return m
