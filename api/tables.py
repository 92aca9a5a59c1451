"""Reads of trader state from the workers' tables, over their web port.

Any worker answers: Faust's table_route forwards a GET to the partition's owner.
"""

from __future__ import annotations

from typing import Any

import httpx


class TableReader:
    def __init__(self, worker_urls: list[str]) -> None:
        self._urls = worker_urls
        self._client = httpx.AsyncClient(timeout=5.0)

    async def trader(self, trader_id: str) -> dict[str, Any] | None:
        last: Exception | None = None
        for base in self._urls:
            try:
                r = await self._client.get(f"{base}/state/traders/{trader_id}/")
            except httpx.HTTPError as exc:
                last = exc
                continue
            if r.status_code == 404:
                return None
            r.raise_for_status()
            data: dict[str, Any] = r.json()
            return data
        raise ConnectionError(f"no worker answered: {last}")

    async def close(self) -> None:
        await self._client.aclose()
