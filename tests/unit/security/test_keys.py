"""The state key ring: parsed from a file or the environment, errors never echo key bytes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from brokerage.security import keys
from brokerage.security.keys import KeyConfigError


def test_file_round_trip_is_private(tmp_path: Path) -> None:
    ring = keys.with_new_key(keys.with_new_key(None, "k1"), "k2")
    path = tmp_path / "keys.json"
    keys.write_private(path, keys.dump(ring))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = keys.load(path, None)
    assert loaded == ring and loaded.active == "k2"
    assert keys.load(None, keys.dump(ring)) == ring
    assert keys.load(None, None) is None


def test_keeping_the_old_key_active_while_adding_one() -> None:
    ring = keys.with_new_key(keys.with_new_key(None, "k1"), "k2", activate=False)
    assert ring.active == "k1" and set(ring.keys) == {"k1", "k2"}


def test_bad_rings_are_refused_without_echoing_secrets(tmp_path: Path) -> None:
    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXh4eHg="
    good = '{"active": "k1", "keys": {"k1": "SECRET"}}'
    for text in (good.replace("SECRET", secret + "!"), "not json",
                 good.replace('"k1", "keys"', '"k2", "keys"').replace("SECRET", secret)):
        with pytest.raises(KeyConfigError) as err:
            keys.parse(text, "test ring")
        assert secret not in str(err.value)
    with pytest.raises(KeyConfigError, match="32 bytes"):
        keys.parse('{"active": "k1", "keys": {"k1": "c2hvcnQ="}}', "test ring")
    with pytest.raises(KeyConfigError, match="not both"):
        keys.load(tmp_path / "x", "{}")
    with pytest.raises(KeyConfigError, match="cannot read"):
        keys.load(tmp_path / "missing.json", None)
    assert "k1" in repr(keys.with_new_key(None, "k1"))
