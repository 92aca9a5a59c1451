"""Every `brokerage` process parses the whole CLI first: that must not load what only some
commands use (faust, matplotlib, the Alpaca API), or each start, a worker's restart
included, pays for it."""

from __future__ import annotations

import subprocess
import sys

from brokerage.entrypoints import processes
from streams import continuity


def test_parsing_the_cli_loads_no_heavy_module() -> None:
    probe = ("import sys; from brokerage import cli; cli.build_parser(); "
             "print(sorted(m for m in ('faust', 'matplotlib', 'api.alpaca', 'streams.continuity')"
             " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.strip() == "[]"


def test_the_supervisors_restart_code_is_the_workers() -> None:
    assert processes.RESTART_EXIT_CODE == continuity.RESTART_EXIT_CODE
