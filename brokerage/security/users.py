"""SCRAM users of the local secure broker: one per service, passwords in a 0600 file."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from .keys import write_private

ADMIN = "admin"  # the broker's own inter-broker user and the only super user
# Each service signs in as its own user, so the ACLs can tell them apart (acls.py).
SERVICES = ("worker", "sequencer", "connector", "api", "sink", "bench")
USERS = (ADMIN, *SERVICES)
# What each `brokerage <command>` runs as under `brokerage up` (the rest: admin tools).
ROLE_USERS = {"worker": "worker", "sequencer": "sequencer", "connector": "connector",
              "api": "api", "sink": "sink"}
NO_KAFKA = ("exchange-sim",)  # commands with no Kafka client: started with no Kafka identity
BENCH = "bench"  # `brokerage bench`'s load generator, collector and raw pass-through


def make_credentials(path: Path) -> dict[str, str]:
    """Random passwords for every user, written once (mode 0600); kept on later starts."""
    if path.exists():
        return read_credentials(path)
    creds = {u: secrets.token_urlsafe(24) for u in USERS}
    write_private(path, json.dumps(creds, indent=2) + "\n")
    return creds


def own_credentials(path: Path, user: str) -> Path:
    """A file beside `path` with `user`'s password only (mode 0600), for a child that signs
    in as `user`: it never holds the file with every user's."""
    password = read_credentials(path).get(user)
    if password is None:
        raise RuntimeError(f"user {user!r} is not in the credentials file {path}")
    own = path.with_name(f"{path.stem}-{user}{path.suffix}")
    write_private(own, json.dumps({user: password}) + "\n")
    return own


def read_credentials(path: Path) -> dict[str, str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read Kafka credentials file {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise RuntimeError(f"Kafka credentials file {path} is not a JSON object")
    return {str(k): str(v) for k, v in doc.items()}


def scram_args(creds: dict[str, str], mechanism: str = "SCRAM-SHA-512") -> list[str]:
    """`kafka-storage format --add-scram` arguments: the users exist from the first start."""
    out = []
    for user, password in creds.items():
        out += ["--add-scram", f"{mechanism}=[name={user},password={password}]"]
    return out
