"""Migration files are found in number order; a reused number is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.sink.migrate import MIGRATIONS, available


def test_shipped_migrations_start_at_one_and_have_no_gaps() -> None:
    versions = [v for v, _ in available(MIGRATIONS)]
    assert versions == list(range(1, len(versions) + 1))


def test_order_and_duplicates(tmp_path: Path) -> None:
    for name in ("002_b.sql", "001_a.sql", "README.md", "10_bad.sql"):
        (tmp_path / name).write_text("SELECT 1;")
    assert [p.name for _, p in available(tmp_path)] == ["001_a.sql", "002_b.sql"]
    (tmp_path / "002_c.sql").write_text("SELECT 2;")
    with pytest.raises(RuntimeError, match="share a number"):
        available(tmp_path)
