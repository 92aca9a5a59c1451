"""The statement and history routes exist only when the API has a reporting store."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from api.app import create_app
from brokerage.config import Settings


def _paths(settings: Settings) -> set[str]:
    return set(create_app(settings, "127.0.0.1:1").openapi()["paths"])


def test_routes_follow_the_reporting_store(tmp_path: Path) -> None:
    without = _paths(Settings(state_dir=tmp_path))  # no DSN, no local server there
    assert not {p for p in without if p.endswith(("/statement", "/history"))}
    dsn = SecretStr("postgresql://u:p@127.0.0.1:1/db")
    with_store = _paths(Settings(state_dir=tmp_path, postgres_dsn=dsn))
    assert {"/v1/traders/{trader_id}/statement", "/v1/traders/{trader_id}/history"} <= with_store
