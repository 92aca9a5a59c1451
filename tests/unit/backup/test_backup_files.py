"""Backup files without a broker: partition databases keep values and offsets, the ledger
export is sealed under a key ring, the manifest catches altered, missing or extra files and a
bad signature, and restore refuses what it should."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from brokerage.backup import ledger, manifest, restore, tables
from brokerage.backup.manifest import BackupError
from brokerage.codec.state import state_to_bytes
from brokerage.config import Settings
from brokerage.domain.state import Position, TraderState
from brokerage.security import keys
from brokerage.security.keys import EncryptionError

ALICE = TraderState("alice", cash_available=12_345, cash_blocked=600,
                    positions={"AAPL": Position(7, 3)})


@pytest.fixture(autouse=True)
def _ring() -> Iterator[keys.KeyRing]:
    ring = keys.with_new_key(None, "k1")
    keys.install(ring)
    yield ring
    keys.reset()


def make_backup(root: Path) -> manifest.Manifest:
    tables.write_partition(root, 2, {b"alice": state_to_bytes(ALICE)}, offset=41)
    name = ledger.write(root, {2: {b"alice": state_to_bytes(ALICE)}})
    m = manifest.build(root, "app", "app-traders-changelog", {2: 41}, name)
    manifest.write(root, m)
    return m


def test_partition_database_round_trip(tmp_path: Path) -> None:
    m = make_backup(tmp_path)
    values, offset = tables.read_partition(tmp_path / "tables" / tables.db_name(2))
    assert offset == 41 and list(values) == [b"alice"]
    assert m["signature"] and m["key_id"] == "k1"


def test_ledger_is_sealed_and_reads_back(tmp_path: Path) -> None:
    m = make_backup(tmp_path)
    assert m["ledger"] == ledger.SEALED
    assert b"12345" not in (tmp_path / ledger.SEALED).read_bytes()
    (row,) = ledger.read(tmp_path, m["ledger"])
    assert row["cash"] == {"available": 12_345, "blocked": 600}
    assert row["holdings"] == {"AAPL": {"available": 7, "blocked": 3}}
    keys.install(keys.with_new_key(None, "k1"))
    with pytest.raises(EncryptionError):
        ledger.read(tmp_path, m["ledger"])


def test_manifest_catches_altered_missing_and_extra_files(tmp_path: Path) -> None:
    make_backup(tmp_path)
    manifest.check(tmp_path)
    (tmp_path / "stray").write_text("x")
    with pytest.raises(BackupError, match="stray"):
        manifest.check(tmp_path)
    (tmp_path / "stray").unlink()
    sealed = tmp_path / ledger.SEALED
    sealed.write_bytes(sealed.read_bytes()[:-1] + b"\0")
    with pytest.raises(BackupError, match="altered"):
        manifest.check(tmp_path)


def test_signature_needs_the_right_key(tmp_path: Path) -> None:
    make_backup(tmp_path)
    keys.install(keys.with_new_key(None, "k1"))
    with pytest.raises(BackupError, match="signature"):
        manifest.check(tmp_path)
    keys.install(None)
    with pytest.raises(BackupError, match="configure"):
        manifest.check(tmp_path)


def test_unsigned_without_a_ring(tmp_path: Path) -> None:
    keys.install(None)
    m = make_backup(tmp_path)
    assert m["signature"] is None and m["ledger"] == ledger.PLAIN
    assert manifest.check(tmp_path) == m


def test_restore_refuses_other_apps_and_existing_tables(tmp_path: Path) -> None:
    make_backup(tmp_path / "b")
    s = Settings(state_dir=tmp_path / "state", app_id="other")
    with pytest.raises(BackupError, match="app"):
        restore.restore(tmp_path / "b", s, "0")
    s = Settings(state_dir=tmp_path / "state", app_id="app")
    restore.restore(tmp_path / "b", s, "0")
    target = tables.worker_tables_dir(s, "0")
    assert (target / tables.db_name(2)).is_dir()
    with pytest.raises(BackupError, match="--force"):
        restore.restore(tmp_path / "b", s, "0")
    restore.restore(tmp_path / "b", s, "0", force=True)
    assert list(target.parent.glob("tables.before-restore-*"))
    values, offset = tables.read_partition(target / tables.db_name(2))
    assert offset == 41 and b"alice" in values


def test_cli_parses_backup_and_restore() -> None:
    from brokerage.cli import build_parser

    a = build_parser().parse_args(["backup", "--out", "/tmp/x"])
    assert a.action == "take" and a.out == Path("/tmp/x")
    a = build_parser().parse_args(["restore", "--from", "/tmp/x", "--worker-id", "1"])
    assert a.source == Path("/tmp/x") and a.worker_id == "1" and not a.force


def test_keys_command_rotates_a_ring(tmp_path: Path) -> None:
    from brokerage.cli import main

    ring = tmp_path / "keys.json"
    assert main(["keys", "add", "--file", str(ring), "--id", "k1"]) == 0
    assert main(["keys", "add", "--file", str(ring), "--id", "k2", "--inactive"]) == 0
    loaded = keys.load(ring, None)
    assert loaded is not None and loaded.active == "k1" and set(loaded.keys) == {"k1", "k2"}
    assert main(["keys", "activate", "--file", str(ring), "--id", "k2"]) == 0
    assert keys.load(ring, None) == keys.KeyRing("k2", loaded.keys)
    assert main(["keys", "activate", "--file", str(ring), "--id", "k9"]) == 1
