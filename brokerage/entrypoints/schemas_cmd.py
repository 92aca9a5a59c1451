"""`brokerage schemas check`: the current schemas against every released version in history/."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import schemas
from brokerage.codec.compat import check_all, released


def run_check(
    out: Callable[[str], object] = print,
    current_dir: Path | None = None,
    history_dir: Path | None = None,
    names: Iterable[str] = schemas.NAMES,
) -> int:
    """Print one line per schema (plus its problems); 0 if all are compatible, else 1."""
    current_dir = current_dir or schemas.DIR
    history_dir = history_dir or current_dir / "history"
    names = tuple(names)
    report = check_all(current_dir, history_dir, names)
    for name in names:
        versions = ", ".join(p.stem for p in released(history_dir, name))
        if not versions:
            out(f"{name}: no released version in {history_dir / name}, nothing to compare")
            continue
        found = report[name]
        verdict = {d: "FAILED" if any(p.startswith(d) for p in found) else "ok"
                   for d in ("backward", "forward")}
        out(f"{name}: backward {verdict['backward']}, forward {verdict['forward']} "
            f"(vs {versions})")
        for problem in found:
            out(f"  {problem}")
    failed = [name for name in names if report[name]]
    out(f"{len(failed)} of {len(names)} schemas incompatible: {', '.join(failed)}" if failed
        else "all schemas compatible")
    return 1 if failed else 0
