"""A local PostgreSQL for the session (brokerage.localpg), and empty databases on it.

Use from a test module with `pytest_plugins = ["tests.integration.pg_fixtures"]`."""

from __future__ import annotations

import atexit
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from brokerage import localpg


@pytest.fixture(scope="session")
def local_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The data dir of a PostgreSQL server started for this session."""
    if not localpg.installed():  # optional (README: Prerequisites); .ci/run installs it
        pytest.skip("PostgreSQL server binaries not installed (apt-get install postgresql)")
    data_dir = tmp_path_factory.mktemp("postgres")
    atexit.register(localpg.stop, data_dir)  # fallback if the session dies before teardown
    localpg.start(data_dir, localpg.free_port())
    try:
        yield data_dir
    finally:
        localpg.stop(data_dir)


@pytest.fixture(scope="session")
def fresh_database(local_postgres: Path) -> Callable[[str], str]:
    """fresh_database("replay") -> the DSN of a new, empty database."""

    def make(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        localpg.create_database(localpg.dsn_for(local_postgres, "postgres"), name)
        return localpg.dsn_for(local_postgres, name)

    return make
