"""Numbered SQL migrations (migrations/NNN_name.sql), applied in order at start, each once.

All pending files run in one transaction under an advisory lock, so two sinks starting
together neither race nor leave a half-applied schema."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg

MIGRATIONS = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql\Z")
_LOCK = 1_100_011  # pg_advisory_xact_lock key of the migrator


def available(directory: Path = MIGRATIONS) -> list[tuple[int, Path]]:
    found = []
    for path in directory.iterdir():
        if m := _NAME.match(path.name):
            found.append((int(m.group(1)), path))
    found.sort()
    versions = [v for v, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a number in {directory}")
    return found


def migrate(conn: psycopg.Connection, directory: Path = MIGRATIONS) -> list[int]:
    """Apply what is missing; the versions applied now (empty when up to date)."""
    applied: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY,"
            " name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for version, path in available(directory):
            if version in done:
                continue
            conn.execute(path.read_text().encode())  # no parameters: the simple protocol
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                         (version, path.name))
            applied.append(version)
    return applied
