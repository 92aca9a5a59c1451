"""Reads of trader state from the workers' tables, over their web port.

Any worker answers: Faust's table_route forwards a GET to the partition's owner.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

log = logging.getLogger("brokerage.api")


class TableReader:
    def __init__(self, worker_urls: list[str],
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._urls = worker_urls
        self._client = httpx.AsyncClient(timeout=5.0, transport=transport)

    async def trader(self, trader_id: str) -> dict[str, Any] | None:
        """The trader's state, None if unknown. A worker that fails (unreachable, 5xx while
        it rebalances or cannot reach the owner, a body that is not a JSON object) is
        skipped; when none answers, ConnectionError (the API's 503)."""
        for base in self._urls:
            try:
                r = await self._client.get(f"{base}/state/traders/{trader_id}/")
                if r.status_code == 404:
                    return None
                r.raise_for_status()
                data = r.json()
                if isinstance(data, dict):
                    return data
                log.warning("worker %s: trader state is not a JSON object", base)
            except (httpx.HTTPError, ValueError) as exc:  # ValueError: not JSON
                log.warning("worker %s did not serve trader state: %s", base, exc)
        # Details go to the log, not to clients: they name internal addresses.
        raise ConnectionError("no worker answered")

    async def close(self) -> None:
        await self._client.aclose()
