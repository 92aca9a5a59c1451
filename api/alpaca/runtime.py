"""What the /v2 facade runs inside the API process: the API keys and the trade updates."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from brokerage.config import Settings
from brokerage.domain import refdata as rd

from .keystore import KeyStore, ensure_topic
from .updates import TradeUpdates


@dataclass
class Alpaca:
    keys: KeyStore
    updates: TradeUpdates
    refdata: rd.RefData

    @classmethod
    async def start(cls, settings: Settings, bootstrap: str) -> Alpaca:
        # Idempotent: a deployment whose topics predate the API keys still starts.
        await asyncio.to_thread(ensure_topic, bootstrap, settings.topic_api_keys,
                                settings.partitions)
        keys = KeyStore(bootstrap, settings.topic_api_keys)
        await asyncio.to_thread(keys.start)
        updates = TradeUpdates(bootstrap, settings.topic_responses, settings.topic_executions,
                               settings.topic_requests)
        await asyncio.to_thread(updates.start, asyncio.get_running_loop())
        return cls(keys, updates, rd.load(settings.refdata_path))

    async def close(self) -> None:
        await asyncio.to_thread(self.updates.close)
        await asyncio.to_thread(self.keys.close)
