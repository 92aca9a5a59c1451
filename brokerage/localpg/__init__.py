"""A local PostgreSQL server from Debian's packages, kept in one data directory.

    dsn = start(Path("/tmp/pg"), port)   # initdb on first use, then pg_ctl start; a DSN
    status(Path("/tmp/pg"))              # PgInfo(pid, port, dsn, data_dir) or None
    stop(Path("/tmp/pg"))                # pg_ctl stop -m fast; False if it was not running

The server listens on 127.0.0.1 only, with password (SCRAM) authentication for one
superuser, `brokerage`, whose random password is kept in <data_dir>/pg.json (mode 0600).
"""

from brokerage.localkafka.procs import free_port
from brokerage.localpg.binaries import MissingPostgresError, bin_dir, installed
from brokerage.localpg.server import (
    PgError,
    PgInfo,
    PortInUseError,
    create_database,
    dsn_for,
    start,
    status,
    stop,
)

__all__ = [
    "MissingPostgresError",
    "PgError",
    "PgInfo",
    "PortInUseError",
    "bin_dir",
    "installed",
    "create_database",
    "dsn_for",
    "free_port",
    "start",
    "status",
    "stop",
]
