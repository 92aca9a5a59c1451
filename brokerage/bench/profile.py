"""`brokerage bench --profile`: py-spy samples each Python process of our stack through every
measured phase, and the result says where each one's time went (README: Performance). The
sampling costs CPU (~20-25 % of the closed loop's rate on two cores): profiled runs are for
where the time goes, not for figures."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TOP = 12  # functions kept per process and phase, by self and by inclusive time


def py_spy() -> str:
    """The venv's py-spy (a pinned dev dependency), else one on PATH."""
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else (shutil.which("py-spy") or "py-spy")


class Profiler:
    def __init__(self, out: Path, rate: int = 100) -> None:
        self.out, self.rate = out, rate
        self.results: dict[str, dict[str, Any]] = {}  # phase -> role -> summary

    @contextmanager
    def phase(self, name: str, pids: dict[str, int]) -> Iterator[None]:
        """Sample these processes (role -> pid) while the block runs."""
        self.out.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")
        running = {}
        for role, pid in pids.items():
            path = self.out / f"{slug}.{role}.txt"
            running[role] = (path, subprocess.Popen(  # noqa: S603 (our own tool, our pids)
                [py_spy(), "record", "--pid", str(pid), "--rate", str(self.rate), "--format",
                 "raw", "--nonblocking", "--output", str(path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        try:
            yield
        finally:
            got: dict[str, Any] = {}
            for role, (path, p) in running.items():
                p.send_signal(signal.SIGINT)  # py-spy writes what it sampled, then exits
                try:
                    _, err = p.communicate(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    _, err = p.communicate()
                got[role] = summary(path) if path.exists() else {
                    "error": (err or b"").decode("utf-8", "replace").strip()[-300:]}
            self.results[name] = got


def summary(raw: Path, top: int = TOP) -> dict[str, Any]:
    """py-spy's raw (collapsed) stacks as the top functions, in % of the samples: by self
    time (any code), and by inclusive time (our own code only, where a fix would go)."""
    own: Counter[str] = Counter()
    within: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n, frames = int(count), stack.split(";")
        total += n
        own[_name(frames[-1])] += n
        for f in {_name(f) for f in frames if _ours(f)}:
            within[f] += n

    def pct(c: Counter[str]) -> list[list[Any]]:
        return [[round(100 * v / total, 1), k] for k, v in c.most_common(top)] if total else []

    # Entry points under (nearly) every sample say nothing.
    within = Counter({k: v for k, v in within.items() if v < 0.95 * total})
    return {"samples": total, "self": pct(own), "inclusive": pct(within)}


def _ours(frame: str) -> bool:
    """py-spy names a file by its path under sys.path (`streams/worker.py`): ours are our
    packages' files and the codec's generated writers."""
    where = frame.partition(" (")[2]
    if where.startswith(("brokerage/cli.py", "brokerage/entrypoints/")):
        return False  # the command line's dispatch: above everything a process does
    return where.startswith("<avro writer") or where.split("/", 1)[0] in PACKAGES


PACKAGES = ("brokerage", "streams", "connectors", "api")


def _name(frame: str) -> str:
    """`fn (path/to/file.py:12)` -> `fn (file.py)`: one entry per function, not per line."""
    fn, _, where = frame.partition(" (")
    return f"{fn} ({where.rstrip(')').split(':')[0].rsplit('/', 1)[-1]})" if where else fn
