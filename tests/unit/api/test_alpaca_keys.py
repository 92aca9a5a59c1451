"""API keys: the secret is shown once, stored as a hash, and checked in constant time."""

from __future__ import annotations

import pytest

from api.alpaca import keys


def test_a_new_key_looks_like_alpacas_and_stores_no_secret() -> None:
    key_id, secret, rec = keys.new_key("alice", {"trade"})
    assert len(key_id) == 20 and key_id.startswith("PK") and key_id.isalnum()
    assert len(secret) == 40
    stored = keys.encode(rec)
    assert secret.encode() not in stored
    back = keys.decode(stored)
    assert back == rec and back.principal().trader_id == "alice"
    assert not back.principal().admin


def test_only_the_right_secret_matches() -> None:
    _, secret, rec = keys.new_key("alice", {"trade", "admin"})
    assert rec.matches(secret)
    assert not rec.matches(secret[:-1] + ("A" if secret[-1] != "A" else "B"))
    assert not rec.matches("")
    assert rec.principal().admin


def test_keys_are_unique_and_scopes_are_checked() -> None:
    assert len({keys.new_key("a", {"trade"})[0] for _ in range(200)}) == 200
    with pytest.raises(ValueError):
        keys.new_key("a", {"root"})


def test_a_record_with_unknown_scopes_keeps_only_known_ones() -> None:
    raw = b'{"trader_id":"t","scopes":["trade","root"],"secret_sha256":"00"}'
    assert keys.decode(raw).scopes == frozenset({"trade"})
