"""The API's readiness counts ready workers (it is ready while at least one is, with the
broker): an unreachable worker counts as not ready, and never hangs the probe."""

from __future__ import annotations

import asyncio

from api.app import _workers_ready
from brokerage.localkafka import free_port


def test_unreachable_workers_count_as_not_ready() -> None:
    urls = [f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"]
    assert asyncio.run(_workers_ready(urls)) == 0
    assert asyncio.run(_workers_ready([])) == 0
