"""Keys that encrypt trader state at rest: a ring of id -> 256-bit key with one active id.

The ring comes from settings, never from the repository: `BROKERAGE_STATE_KEYS_FILE` (a JSON
file, mode 0600) or `BROKERAGE_STATE_KEYS` (the same JSON in the environment):

    {"active": "k2", "keys": {"k1": "<base64 of 32 bytes>", "k2": "<base64 of 32 bytes>"}}

New values are sealed with the active key; values sealed with any key in the ring stay
readable, so a rotation adds a key, makes it active, and keeps the old one (README: Security).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KEY_BYTES = 32  # AES-256
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class EncryptionError(RuntimeError):
    """State encryption is misconfigured, or a value cannot be opened. Never holds key bytes."""


class KeyConfigError(EncryptionError):
    pass


class UnknownKeyError(EncryptionError):
    pass


class DecryptError(EncryptionError):
    pass


@dataclass(frozen=True)
class KeyRing:
    active: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise KeyConfigError(f"the active state key id {self.active!r} is not in the ring")
        for kid, key in self.keys.items():
            if not _KEY_ID.match(kid):
                raise KeyConfigError(f"bad state key id {kid!r}: 1-32 of A-Za-z0-9_.-")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"state key {kid!r} must be {KEY_BYTES} bytes")

    def __repr__(self) -> str:  # never print key bytes
        return f"KeyRing(active={self.active!r}, ids={sorted(self.keys)})"

    def key(self, kid: str) -> bytes:
        try:
            return self.keys[kid]
        except KeyError:
            raise UnknownKeyError(
                f"value sealed with state key id {kid!r}, which is not in the key ring "
                f"(have {sorted(self.keys)}): add the old key back to BROKERAGE_STATE_KEYS_FILE"
            ) from None


def parse(text: str, origin: str) -> KeyRing:
    try:
        doc = json.loads(text)
        keys = {str(k): base64.b64decode(v, validate=True) for k, v in doc["keys"].items()}
        return KeyRing(str(doc["active"]), keys)
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        # The message names the field, never the text: it holds keys.
        raise KeyConfigError(f"{origin} is not a state key ring ({type(exc).__name__}): "
                             'expected {"active": ID, "keys": {ID: base64 of 32 bytes}}') from None


def load(file: Path | None, env_value: str | None) -> KeyRing | None:
    """The ring from a file or an environment value; None when neither is set."""
    if file is not None and env_value:
        raise KeyConfigError("set BROKERAGE_STATE_KEYS_FILE or BROKERAGE_STATE_KEYS, not both")
    if env_value:
        return parse(env_value, "BROKERAGE_STATE_KEYS")
    if file is None:
        return None
    try:
        text = Path(file).read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyConfigError(f"cannot read state key file {file}: {exc.strerror}") from None
    return parse(text, f"state key file {file}")


def dump(ring: KeyRing) -> str:
    keys = {k: base64.b64encode(v).decode() for k, v in ring.keys.items()}
    return json.dumps({"active": ring.active, "keys": keys}, indent=2) + "\n"


def with_new_key(ring: KeyRing | None, kid: str, activate: bool = True) -> KeyRing:
    """A ring with one more random key (rotation); the old keys stay to read old values."""
    keys = dict(ring.keys) if ring else {}
    if kid in keys:
        raise KeyConfigError(f"state key id {kid!r} already exists")
    keys[kid] = secrets.token_bytes(KEY_BYTES)
    active = kid if activate or ring is None else ring.active
    return KeyRing(active, keys)


def write_private(path: Path, text: str) -> None:
    """Write a secret file readable by its owner only (created 0600, never world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")  # racers
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


# The ring this process uses; loaded from its settings on first use, or installed (tests).
_UNSET: Any = object()
_current: Any = _UNSET


def current() -> KeyRing | None:
    global _current
    if _current is _UNSET:
        from brokerage.config import get_settings

        s = get_settings()
        env = s.state_keys.get_secret_value() if s.state_keys else None
        _current = load(s.state_keys_file, env)
    ring: KeyRing | None = _current
    return ring


def install(ring: KeyRing | None) -> None:
    """Use this ring in this process from now on (None: no encryption)."""
    global _current
    _current = ring


def reset() -> None:
    """Forget the installed ring: the next use loads it from settings again."""
    global _current
    _current = _UNSET
