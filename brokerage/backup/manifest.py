"""A backup's manifest: what it holds, the changelog offset of each partition, a SHA-256 of
every file, and (with a state key ring) an HMAC-SHA256 signature over all of it, keyed by a
key derived from the active state key. Restore checks it all before touching a worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from brokerage.security import keys

FORMAT = 1
NAME = "manifest.json"
Manifest = dict[str, Any]


class BackupError(RuntimeError):
    """A backup is incomplete, altered, or cannot be checked."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def checksums(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _sha256(p) for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != NAME and not p.name.startswith("LOCK")}


def _signing_key(key: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"brokerage-backup-v1")
    return hkdf.derive(key)


def _body(m: Manifest) -> bytes:
    return json.dumps({k: v for k, v in m.items() if k != "signature"}, sort_keys=True).encode()


def build(root: Path, app_id: str, topic: str, offsets: dict[int, int], ledger: str) -> Manifest:
    m: Manifest = {
        "format": FORMAT, "created_ms": int(time.time() * 1000), "app_id": app_id,
        "changelog_topic": topic, "offsets": {str(p): o for p, o in sorted(offsets.items())},
        "ledger": ledger, "files": checksums(root), "key_id": None, "signature": None,
    }
    ring = keys.current()
    if ring is not None:
        m["key_id"] = ring.active
        m["signature"] = hmac.new(_signing_key(ring.key(ring.active)), _body(m),
                                  hashlib.sha256).hexdigest()
    return m


def write(root: Path, m: Manifest) -> None:
    (root / NAME).write_text(json.dumps(m, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def check(root: Path) -> Manifest:
    """The manifest, once every file matches it (and its signature, if signed)."""
    try:
        m: Manifest = json.loads((root / NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{root} has no readable {NAME}: {exc}") from None
    if m.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {m.get('format')!r}")
    if m.get("signature") is not None:
        ring = keys.current()
        if ring is None:
            raise BackupError(f"the backup is signed with state key {m['key_id']!r}: configure "
                              "the state key ring (BROKERAGE_STATE_KEYS_FILE) to check it")
        want = hmac.new(_signing_key(ring.key(m["key_id"])), _body(m), hashlib.sha256)
        if not hmac.compare_digest(want.hexdigest(), str(m["signature"])):
            raise BackupError("the backup's manifest signature does not match: altered")
    found = checksums(root)
    bad = sorted(set(found) ^ set(m["files"]) | {f for f in found if f in m["files"]
                                                  and found[f] != m["files"][f]})
    if bad:
        raise BackupError(f"backup files missing, extra or altered: {', '.join(bad[:10])}")
    return m
