"""A fix to faust-streaming 0.15.3 that our processing guarantee depends on.

Table writes reach Kafka through faust's ProducerBuffer (`send_soon`). Before committing input
offsets, faust flushes the producer, but `ProducerBuffer.flush` returns as soon as 0.1 s pass
without a message sent, and does not count the message being handed over at that moment. So
while the broker is slow or restarting, offsets get committed ahead of changelog writes that
are still queued; a kill -9 then loses those writes and a new owner applies later inputs to a
stale trader state (seen in `brokerage chaos`). Here flush waits until the buffer is empty and
nothing is in hand, however long that takes; the aiokafka flush that follows then waits for
delivery.

Also `fetch_wait`: faust hard-codes the worker consumer's `fetch_max_wait_ms=1500`;
`_resume`: resuming flow that is not suspended must not empty the agents' queues; and
`before_wait_empty`: the worker's held inputs are let go before faust waits for them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import faust
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.producer import ProducerBuffer
from mode.utils.queues import FlowControlEvent

_original_send_pending = ProducerBuffer._send_pending
_installed = False
_create_worker_consumer = AIOKafkaConsumerThread._create_worker_consumer


async def _send_pending(self: Any, fut: Any) -> None:
    self._brokerage_in_hand = getattr(self, "_brokerage_in_hand", 0) + 1
    try:
        await _original_send_pending(self, fut)
    finally:
        self._brokerage_in_hand -= 1


def _resume(self: FlowControlEvent) -> None:
    """mode's `resume` empties every agent queue, and faust's recovery resumes twice after
    an assignment: the second time (after its seek) while events of the new assignment,
    fetched past that seek, wait in the queues. Those were lost for good (chaos: one to six
    offsets missing from a partition's first second, each a hole and a worker restart).
    Only a resume that ends a suspension drops what was queued before it."""
    suspended = not self.is_active()
    self._suspend.clear()
    self._resume.set()
    if suspended:
        self.clear()


async def _flush(self: Any) -> None:
    while self.size or getattr(self, "_brokerage_in_hand", 0):
        if self.state != "running":
            raise RuntimeError("Cannot flush: Producer not Running")
        self.message_sent.clear()
        try:
            await asyncio.wait_for(self.message_sent.wait(), timeout=0.5)
        except TimeoutError:
            continue  # the broker may be restarting: keep waiting, never commit ahead


def install(buffer_max: int = 100, fetch_wait_ms: int = 1500, fetch_min_bytes: int = 1) -> None:
    """Patch ProducerBuffer before any app creates one (its task binds _send_pending);
    `buffer_max`: table writes queued before faust holds input delivery back (Settings)."""
    global _installed
    ProducerBuffer.max_messages = buffer_max
    fetch_wait(fetch_wait_ms, fetch_min_bytes)
    if not _installed:
        ProducerBuffer._send_pending = _send_pending  # type: ignore[method-assign]
        ProducerBuffer.flush = _flush  # type: ignore[method-assign]
        FlowControlEvent.resume = _resume  # type: ignore[method-assign]
        _installed = True


def fetch_wait(wait_ms: int, min_bytes: int) -> None:
    """The worker consumer's fetch wait and minimum. With faust's 1,500 ms, a worker that
    once fell behind (a fresh broker's slow first seconds) settled into a steady ~1.3 s hop
    per input at 300 requests/s, at 40 % CPU, and stayed there (README, Performance)."""
    def create(self: Any, transport: Any) -> Any:
        consumer = _create_worker_consumer(self, transport)
        consumer._fetch_max_wait_ms = wait_ms  # read when it starts, by its fetcher
        consumer._fetch_min_bytes = min_bytes
        return consumer

    AIOKafkaConsumerThread._create_worker_consumer = create  # type: ignore[method-assign]


def before_wait_empty(app: faust.App, first: Callable[[], None]) -> None:
    """Run `first` whenever faust is about to wait for every delivered input to be
    acknowledged (a rebalance's revocation, a stop): the worker lets its held inputs go
    there. Not in the commit hook alone: faust's wait commits in a loop, and a commit with
    no new offset to commit never reaches the hook, so the wait would spin until the stop
    deadline (a CI run's teardowns took the whole 20 s)."""
    original = app._consumer_wait_empty

    async def wait_empty(consumer: Any, logger: Any) -> None:
        first()
        await original(consumer, logger)

    app._consumer_wait_empty = wait_empty  # type: ignore[method-assign]


def flush_also(app: faust.App, extra: Callable[[], Awaitable[None]],
               before: Callable[[], None] | None = None) -> None:
    """Make faust's flush before every offset commit also wait for `extra` (our own
    producer's deliveries): inputs are never committed ahead of what they caused. `before`
    runs first, so table writes it makes are flushed with the rest."""
    prod = app.producer
    original = prod.flush

    async def flush() -> None:
        if before is not None:
            before()
        await original()
        await extra()

    prod.flush = flush  # type: ignore[method-assign]
