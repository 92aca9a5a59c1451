"""Find Debian's PostgreSQL server binaries and run them as the `postgres` OS user when root."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path


class MissingPostgresError(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def bin_dir() -> Path:
    """The newest /usr/lib/postgresql/<major>/bin with initdb, else `pg_config --bindir`."""
    found = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else -1)
    if found:
        return found[-1]
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        candidate = Path(out.stdout.strip())
        if out.returncode == 0 and (candidate / "initdb").exists():
            return candidate
    raise MissingPostgresError(
        "PostgreSQL server binaries not found (initdb under /usr/lib/postgresql/*/bin); "
        "install them with `apt-get install postgresql`"
    )


def installed() -> bool:
    """Whether this machine has the server binaries (callers skip PostgreSQL otherwise)."""
    try:
        bin_dir()
        return True
    except MissingPostgresError:
        return False


def server_user() -> str | None:
    """The OS user to run the server as: `postgres` when we are root (it refuses root)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise MissingPostgresError("running as root but there is no `postgres` OS user") from None
    return "postgres"


def as_server_user(argv: list[str]) -> list[str]:
    user = server_user()
    return ["runuser", "-u", user, "--", *argv] if user else argv


def hand_over(path: Path) -> None:
    """Give `path` to the server user and let it reach `path` through its ancestors.

    A root-owned 0700 ancestor (mktemp -d, pytest's tmp dirs) would keep `postgres` out:
    such ancestors get the search bit for others (o+x, no listing)."""
    user = server_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in (root, *(os.path.join(root, n) for n in dirs + files)):
            os.chown(name, entry.pw_uid, entry.pw_gid)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if not mode & 0o001:
            parent.chmod(mode | 0o001)
