"""The worker's stop deadline (streams/shutdown.py), in child processes: it ends them."""

from __future__ import annotations

import subprocess
import sys

import pytest


def run(body: str) -> subprocess.CompletedProcess[str]:
    code = f"import sys, time\nfrom streams.shutdown import exit_after\n{body}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)


def test_a_stop_that_overruns_its_deadline_leaves_with_code_1() -> None:
    done = run("exit_after(0.2)\ntime.sleep(30)\nprint('slept')")
    assert done.returncode == 1, done
    assert "slept" not in done.stdout
    assert "still stopping after 0 s: leaving now" in done.stderr


@pytest.mark.parametrize("ending", ["sys.exit(0)", "pass"])
def test_a_stop_in_time_is_not_held_by_the_deadline(ending: str) -> None:
    done = run(f"exit_after(30)\n{ending}")
    assert done.returncode == 0, done
    assert "still stopping" not in done.stderr
