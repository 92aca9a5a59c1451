"""API keys for the Alpaca-compatible API: an id and a secret, stored as a hash.

The secret is 30 random bytes (240 bits), so an unsalted SHA-256 of it cannot be reversed by
guessing; a slow hash (scrypt) would only add latency to every request. The stored record is
Avro (schemas/api_key.avsc) on a compacted topic, keyed by the key id; a tombstone revokes the
key. Records written as JSON before that still read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
from dataclasses import dataclass

from api.auth import SCOPES, Principal
from brokerage.codec import avro

ID_ALPHABET = string.ascii_uppercase + string.digits
ID_LENGTH = 20  # like Alpaca's: "PK" and 18 more


@dataclass(frozen=True, slots=True)
class KeyRecord:
    trader_id: str
    scopes: frozenset[str]
    secret_sha256: str  # hex
    created_ms: int = 0

    def principal(self) -> Principal:
        return Principal(self.trader_id, self.scopes)

    def matches(self, secret: str) -> bool:
        """Constant-time: the comparison leaks nothing about how much of a guess was right."""
        return hmac.compare_digest(digest(secret), self.secret_sha256)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key(trader_id: str, scopes: set[str]) -> tuple[str, str, KeyRecord]:
    """(key id, secret, the record to store). The secret exists only in the return value."""
    unknown = scopes - SCOPES
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    key_id = "PK" + "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH - 2))
    secret = secrets.token_urlsafe(30)
    rec = KeyRecord(trader_id, frozenset(scopes), digest(secret), int(time.time() * 1000))
    return key_id, secret, rec


def encode(rec: KeyRecord) -> bytes:
    return avro.encode("api_key", {"trader_id": rec.trader_id, "scopes": sorted(rec.scopes),
                                   "secret_sha256": rec.secret_sha256,
                                   "created_ms": rec.created_ms})


def decode(raw: bytes) -> KeyRecord:
    # The compacted topic may still hold a key stored as JSON, the first form.
    d = avro.decode("api_key", raw) if raw[:2] == avro.MAGIC else json.loads(raw)
    return KeyRecord(str(d["trader_id"]), frozenset(d.get("scopes", [])) & SCOPES,
                     str(d["secret_sha256"]), int(d.get("created_ms", 0)))
