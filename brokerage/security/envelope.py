"""AES-256-GCM envelope for values at rest (trader states in RocksDB, changelog, backups).

    E5 01 | len(key id) | key id | salt (16) | nonce (12) | ciphertext | tag (16)

The first two bytes differ from Avro's C3 01, so sealed and plain values can be told apart
(plain ones stay readable while encryption is being switched on). The header is the
associated data: key id and salt cannot be swapped, and `purpose` keeps a sealed backup
ledger from passing for a trader state. Each process seals under its own subkey,
HKDF(key, random salt), with a counter nonce: nonces never repeat, however many values a
busy worker writes (random 96-bit nonces under one key are only safe for ~2^32 values).
"""

from __future__ import annotations

import itertools
import os
import threading

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import keys
from .keys import DecryptError, KeyRing, UnknownKeyError

MAGIC = b"\xe5\x01"
SALT_BYTES = 16
NONCE_BYTES = 12
STATE = b"trader_state"
_CACHE_LIMIT = 4096  # subkeys of (key id, salt); one per process that wrote values


def _subkey(key: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"brokerage-at-rest-v1")
    return AESGCM(hkdf.derive(key))


class _Writer:
    """This process's subkey and nonce counter for one key id."""

    def __init__(self, kid: str, key: bytes) -> None:
        self.pid = os.getpid()  # a forked child must not reuse the parent's nonces
        self.salt = os.urandom(SALT_BYTES)
        self.aead = _subkey(key, self.salt)
        self.head = MAGIC + bytes([len(kid)]) + kid.encode() + self.salt
        self.counter = itertools.count(1)


_writers: dict[tuple[str, bytes], _Writer] = {}
_readers: dict[tuple[bytes, str, bytes], AESGCM] = {}
_lock = threading.Lock()


def is_sealed(data: bytes) -> bool:
    return data[:2] == MAGIC


def seal(plain: bytes, purpose: bytes, ring: KeyRing) -> bytes:
    kid = ring.active
    wk = (kid, ring.key(kid))
    w = _writers.get(wk)
    if w is None or w.pid != os.getpid():
        with _lock:
            w = _writers[wk] = _Writer(kid, wk[1])
    nonce = next(w.counter).to_bytes(NONCE_BYTES, "big")
    return w.head + nonce + w.aead.encrypt(nonce, plain, w.head + purpose)


def open_sealed(data: bytes, purpose: bytes, ring: KeyRing | None) -> bytes:
    """The plaintext of a sealed value; raises a clear error for a wrong or missing key."""
    try:
        n = data[2]
        kid = data[3:3 + n].decode("ascii")
    except (IndexError, UnicodeDecodeError):
        raise DecryptError("sealed value is truncated or corrupt") from None
    end = 3 + n + SALT_BYTES
    head, nonce, body = data[:end], data[end:end + NONCE_BYTES], data[end + NONCE_BYTES:]
    if len(nonce) != NONCE_BYTES or len(body) < 16:
        raise DecryptError(f"sealed value (key id {kid!r}) is truncated")
    if ring is None:
        raise UnknownKeyError(
            f"value is encrypted (key id {kid!r}) but no state key is configured: "
            "set BROKERAGE_STATE_KEYS_FILE (or BROKERAGE_STATE_KEYS)")
    salt = head[-SALT_BYTES:]
    ck = (ring.key(kid), kid, salt)
    aead = _readers.get(ck)
    if aead is None:
        if len(_readers) >= _CACHE_LIMIT:
            _readers.clear()
        aead = _readers[ck] = _subkey(ck[0], salt)
    try:
        return aead.decrypt(nonce, body, head + purpose)
    except InvalidTag:
        raise DecryptError(
            f"cannot decrypt a value sealed with state key id {kid!r}: the key in the ring "
            "under that id is not the one it was written with, or the value was altered"
        ) from None


def seal_state(plain: bytes) -> bytes:
    """A trader state's bytes as stored: sealed when this process has a key ring."""
    ring = keys.current()
    return plain if ring is None else seal(plain, STATE, ring)


def open_state(data: bytes) -> bytes:
    """A stored trader state's plain Avro bytes (plain values pass through unchanged)."""
    return open_sealed(data, STATE, keys.current()) if is_sealed(data) else data
