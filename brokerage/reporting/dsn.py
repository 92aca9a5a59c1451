"""Which PostgreSQL the reporting store is in: BROKERAGE_POSTGRES_DSN, else the local one."""

from __future__ import annotations

from brokerage import localpg
from brokerage.config import Settings


class NoDatabaseError(RuntimeError):
    pass


def resolve_dsn(settings: Settings) -> str:
    if settings.postgres_dsn is not None:
        return settings.postgres_dsn.get_secret_value()
    info = localpg.status(settings.postgres_data_dir)
    if info is None:
        raise NoDatabaseError("no reporting database: run `brokerage postgres start` or set "
                              "BROKERAGE_POSTGRES_DSN")
    return info.dsn
