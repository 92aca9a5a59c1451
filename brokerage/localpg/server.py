"""initdb, start, stop and inspect one PostgreSQL cluster kept in a data directory."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from brokerage.localkafka.procs import port_free, tail
from brokerage.localpg.binaries import as_server_user, bin_dir, hand_over

USER = "brokerage"
DBNAME = "brokerage"


@dataclass(frozen=True)
class PgInfo:
    pid: int
    port: int
    dsn: str
    data_dir: Path


class PgError(RuntimeError):
    """The local PostgreSQL server could not be started or stopped."""


class PortInUseError(PgError):
    pass


def _cluster(data_dir: Path) -> Path:
    return data_dir / "cluster"


def _record(data_dir: Path) -> dict[str, object] | None:
    try:
        return dict(json.loads((data_dir / "pg.json").read_text()))
    except (OSError, ValueError):
        return None


def dsn_for(data_dir: Path, dbname: str = DBNAME) -> str:
    """The DSN of the cluster in `data_dir` (running or not) for database `dbname`."""
    record = _record(data_dir.resolve())
    if record is None:
        raise PgError(f"no PostgreSQL cluster in {data_dir}")
    return f"postgresql://{USER}:{record['password']}@127.0.0.1:{record['port']}/{dbname}"


def status(data_dir: Path) -> PgInfo | None:
    data_dir = data_dir.resolve()
    record = _record(data_dir)
    try:
        pid = int((_cluster(data_dir) / "postmaster.pid").read_text().split("\n", 1)[0])
        alive = b"postgres" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    if record is None or not alive:
        return None
    return PgInfo(pid, int(str(record["port"])), dsn_for(data_dir), data_dir)


def start(data_dir: Path, port: int, *, options: Mapping[str, str] | None = None,
          timeout: float = 60.0) -> str:
    """Start (after initdb on first use) and return the DSN of database `brokerage`.

    Already running: its DSN. `options` are extra server settings (e.g. {"fsync": "off"}
    for a throwaway benchmark), rewritten on every start."""
    data_dir = data_dir.resolve()
    if (running := status(data_dir)) is not None:
        return running.dsn
    if not port_free(port):
        raise PortInUseError(f"port 127.0.0.1:{port} is in use; pick another PostgreSQL port")
    bindir, cluster = bin_dir(), _cluster(data_dir)
    record = _record(data_dir) or {"password": secrets.token_urlsafe(24)}
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (cluster / "PG_VERSION").exists():
        _initdb(bindir, data_dir, str(record["password"]))
    record["port"] = port
    (data_dir / "pg.json").write_text(json.dumps(record, indent=2) + "\n")
    os.chmod(data_dir / "pg.json", 0o600)
    (cluster / "local.conf").write_text(_local_conf(port, cluster, options or {}))
    hand_over(data_dir)
    log = data_dir / "server.log"
    done = subprocess.run(
        as_server_user([str(bindir / "pg_ctl"), "start", "-w", "-t", str(int(timeout)),
                        "-D", str(cluster), "-l", str(log)]),
        capture_output=True, text=True, start_new_session=True,
    )
    if done.returncode != 0:
        raise PgError(f"pg_ctl start failed:\n{done.stdout}{done.stderr}\n{tail(log)}")
    create_database(dsn_for(data_dir, "postgres"), DBNAME)
    return dsn_for(data_dir)


def _initdb(bindir: Path, data_dir: Path, password: str) -> None:
    pwfile = data_dir / "initdb.pw"
    pwfile.write_text(password + "\n")
    hand_over(data_dir)
    try:
        done = subprocess.run(
            as_server_user([str(bindir / "initdb"), "-D", str(_cluster(data_dir)), "-U", USER,
                            f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8",
                            "--locale=C", "--no-instructions"]),
            capture_output=True, text=True,
        )
    finally:
        pwfile.unlink(missing_ok=True)
    if done.returncode != 0:
        raise PgError(f"initdb failed:\n{done.stdout}{done.stderr}")
    with open(_cluster(data_dir) / "postgresql.conf", "a") as conf:
        conf.write("\ninclude_if_exists = 'local.conf'\n")


def _local_conf(port: int, cluster: Path, options: Mapping[str, str]) -> str:
    # A Unix socket path is limited to ~107 bytes; deep temp dirs go without one (TCP only).
    socket_dir = str(cluster) if len(str(cluster)) < 90 else ""
    settings = {"listen_addresses": "127.0.0.1", "port": str(port),
                "unix_socket_directories": socket_dir, **options}
    return "".join(f"{k} = '{v.replace(chr(39), chr(39) * 2)}'\n" for k, v in settings.items())


def create_database(dsn: str, name: str, *, replace: bool = False) -> None:
    """Create database `name` on the server of `dsn` unless it exists (`replace`: drop first)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        if replace:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def stop(data_dir: Path, timeout: float = 30.0) -> bool:
    """pg_ctl stop -m fast (SIGKILL if that fails); False if it was not running."""
    info = status(data_dir)
    if info is None:
        return False
    done = subprocess.run(
        as_server_user([str(bin_dir() / "pg_ctl"), "stop", "-m", "fast", "-w",
                        "-t", str(int(timeout)), "-D", str(_cluster(info.data_dir))]),
        capture_output=True, text=True,
    )
    if done.returncode != 0 and status(data_dir) is not None:
        os.kill(info.pid, signal.SIGKILL)
    return True
