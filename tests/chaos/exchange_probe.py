"""Reads of the exchange simulator and the connector's metrics, for the exchange chaos tests."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.integration.conftest import Stack


def reports(s: Stack) -> list[dict[str, Any]]:
    """Every execution report the venue serves, oldest first."""
    out: list[dict[str, Any]] = []
    while True:
        page = httpx.get(f"{s.settings.exchange_url}/executions",
                         params={"after": out[-1]["seq"] if out else 0, "limit": 500}).json()
        if not page["reports"]:
            return out
        out += page["reports"]


def open_ids(s: Stack) -> set[str]:
    orders = httpx.get(f"{s.settings.exchange_url}/orders", params={"open": "true"}).json()
    return {o["client_order_id"] for o in orders["orders"]}


def venue_up(s: Stack) -> bool:
    try:
        return httpx.get(f"{s.settings.exchange_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def set_faults(s: Stack, **knobs: Any) -> None:
    httpx.post(f"{s.settings.exchange_url}/admin/faults", json=knobs).raise_for_status()


def connector_metrics(s: Stack) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{s.settings.connector_metrics_port}/metrics").text
    except httpx.TransportError:
        return ""  # (re)starting


def metric(text: str, name: str, **labels: str) -> float:
    sel = ",".join(f'{k}="{v}"' for k, v in labels.items())
    m = re.search(rf"^{name}{{{sel}}} (\S+)$" if sel else rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0
