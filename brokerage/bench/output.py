"""The three files of a run, in one folder per run: result.json, result.md, result.png."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .plot import plot
from .report import markdown


def write(doc: dict[str, Any], out: Path) -> dict[str, Path]:
    """result.json, result.md and result.png in out/<UTC time>/ (git ignores out)."""
    folder = folder_for(out, doc["started_at"])
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "result.json", "md": folder / "result.md",
             "png": folder / "result.png"}
    paths["json"].write_text(json.dumps(_clean(doc), indent=1) + "\n")
    paths["md"].write_text(markdown(doc))
    plot(doc, paths["png"])
    return paths


def folder_for(out: Path, started_at: str) -> Path:
    return out / started_at.replace(":", "").replace("+0000", "Z")


def _clean(x: Any) -> Any:
    """JSON has no NaN: nothing measured is null."""
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    return x
