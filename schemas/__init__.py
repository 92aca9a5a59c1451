"""Avro contracts for every topic. The .avsc files here are the source of truth."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DIR = Path(__file__).parent
# dead_letter is the headers' shape, not a value's
NAMES = ("trade_request", "trade_event", "order", "execution_report", "trader_state",
         "trader_head", "input_frame", "dead_letter", "api_key")


@cache
def load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DIR / f"{name}.avsc").read_text())
    return schema
