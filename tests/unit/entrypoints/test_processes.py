"""A child of the local stack that exits unasked is reported with how long it ran and what
it wrote since it started, so the failure stands alone in a CI log."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from brokerage.config import Settings
from brokerage.entrypoints.processes import Processes


def _exit_of(procs: Processes) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            procs.check()
        except RuntimeError as exc:
            return str(exc)
        time.sleep(0.1)
    pytest.fail("the child did not exit")


def test_a_child_that_exits_is_reported_with_its_own_log_lines(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = str(busy.getsockname()[1])
    (tmp_path / "exchange-sim.log").write_text("an earlier run's line\n")
    procs = Processes(Settings(state_dir=tmp_path / "state"), str(tmp_path))
    try:
        procs.start("exchange-sim", "--port", port)  # refused its port: exits 1
        why = _exit_of(procs)
    finally:
        procs.stop_all()
        busy.close()
    assert why.startswith("exchange-sim exited with 1 after ")
    assert "address already in use" in why
    assert "an earlier run" not in why  # only this child's lines
