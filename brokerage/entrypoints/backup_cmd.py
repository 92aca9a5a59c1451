"""`brokerage backup`, `brokerage restore` and `brokerage keys` (README: Security)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from brokerage.config import Settings


def _backup(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.backup import ledger, manifest, snapshot
    from brokerage.entrypoints.bootstrap import resolve

    if args.action == "verify":
        if args.dir is None:
            raise RuntimeError("brokerage backup verify --dir DIR")
        m = manifest.check(args.dir)
        rows = ledger.read(args.dir, m["ledger"])
        signed = f"signed with key {m['key_id']}" if m["signature"] else "unsigned"
        print(f"backup {args.dir} is intact: {len(rows)} traders, changelog offsets "
              f"{m['offsets']}, {signed}")
        return 0
    out = args.out or s.state_dir / "backups" / time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    m = snapshot.take(resolve(s), s, out)
    print(f"backup written to {out}: {len(m['offsets'])} partitions at offsets {m['offsets']}")
    return 0


def _restore(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.backup import restore

    m = restore.restore(args.source, s, args.worker_id, force=args.force)
    print(f"worker {args.worker_id} restored from {args.source} "
          f"({len(m['offsets'])} partitions); start it to catch up from the changelog")
    return 0


def _keys(args: argparse.Namespace, s: Settings) -> int:
    from brokerage.security import keys

    ring = keys.load(args.file, None) if args.file.exists() else None
    if args.action == "add":
        ring = keys.with_new_key(ring, args.id, activate=not args.inactive)
    elif ring is None or args.id not in ring.keys:
        raise RuntimeError(f"no key {args.id!r} in {args.file}")
    else:
        ring = keys.KeyRing(args.id, ring.keys)
    keys.write_private(args.file, keys.dump(ring))
    print(f"{args.file}: keys {sorted(ring.keys)}, active {ring.active}")
    return 0


def add_parsers(sub: Any) -> None:
    b = sub.add_parser("backup", help="snapshot the trader tables and a ledger export")
    b.add_argument("action", nargs="?", choices=["take", "verify"], default="take")
    b.add_argument("--out", type=Path, default=None,
                   help="new directory (default: <state_dir>/backups/<UTC time>)")
    b.add_argument("--dir", type=Path, default=None, help="the backup to verify")
    b.set_defaults(fn=_backup)
    r = sub.add_parser("restore", help="put a backup's tables back into a stopped worker")
    r.add_argument("--from", dest="source", type=Path, required=True)
    r.add_argument("--worker-id", default="0")
    r.add_argument("--force", action="store_true", help="move the worker's tables aside")
    r.set_defaults(fn=_restore)
    k = sub.add_parser("keys", help="state encryption key ring: add a key, or activate one")
    k.add_argument("action", choices=["add", "activate"])
    k.add_argument("--file", type=Path, required=True, help="the key ring (JSON, mode 0600)")
    k.add_argument("--id", required=True, help="key id, e.g. 2026-11")
    k.add_argument("--inactive", action="store_true",
                   help="add without using it for new writes yet (rotation step 1)")
    k.set_defaults(fn=_keys)
