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


def test_keys_are_stored_as_avro_any_reader_can_read() -> None:
    import io

    from fastavro import parse_schema, schemaless_reader

    import schemas

    _, _, rec = keys.new_key("alice", {"admin", "trade"})
    stored = keys.encode(rec)
    assert stored[:2] == b"\xc3\x01"  # single-object encoding
    plain = schemaless_reader(io.BytesIO(stored[10:]), parse_schema(schemas.load("api_key")))
    assert plain == {"trader_id": "alice", "scopes": ["admin", "trade"],
                     "secret_sha256": rec.secret_sha256, "created_ms": rec.created_ms}
