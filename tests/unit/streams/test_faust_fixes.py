"""faust's producer buffer flush must not return while table writes are still queued or in
hand: offsets are committed right after it (see streams/faust_fixes.py)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import faust
from faust.types.tuples import FutureMessage

from streams import faust_fixes


class SlowChannel:
    """Hands a message to the client slowly, as while the broker restarts."""

    def __init__(self) -> None:
        self.published = 0

    async def publish_message(self, fut: FutureMessage, wait: bool = False) -> None:
        await asyncio.sleep(0.3)
        self.published += 1


async def _flush_with_slow_handover(n: int) -> int:
    app = faust.App("flush-test", broker="kafka://127.0.0.1:1")
    buffer = app.producer.buffer
    await buffer.start()
    try:
        channel = SlowChannel()
        for _ in range(n):
            buffer.put(FutureMessage(SimpleNamespace(channel=channel)))  # type: ignore[arg-type]
        await buffer.flush()
        return channel.published
    finally:
        await buffer.stop()


def test_flush_waits_until_every_queued_write_is_handed_over() -> None:
    faust_fixes.install()
    assert asyncio.run(_flush_with_slow_handover(4)) == 4


async def _worker_consumer_fetch() -> tuple[int, int]:
    app = faust.App("fetch-test", broker="kafka://127.0.0.1:1")
    thread = app.consumer._thread  # faust's aiokafka consumer thread (not started)
    consumer = thread._create_worker_consumer(app.transport)
    return consumer._fetch_max_wait_ms, consumer._fetch_min_bytes


def test_the_worker_consumer_fetches_with_our_wait_not_fausts_1500_ms() -> None:
    faust_fixes.install(fetch_wait_ms=7, fetch_min_bytes=999)
    try:
        assert asyncio.run(_worker_consumer_fetch()) == (7, 999)
    finally:
        faust_fixes.install()  # faust's own values for whatever runs next in this process
    assert asyncio.run(_worker_consumer_fetch()) == (1500, 1)


def test_resuming_flow_that_runs_keeps_the_queued_events_and_ending_a_suspension_drops_them(
) -> None:
    """faust's recovery resumes flow twice after an assignment; the second resume emptied
    the agents' queues of the new assignment's events, which nothing fetched again."""
    from mode.utils.queues import FlowControlEvent, FlowControlQueue

    faust_fixes.install()

    async def scenario() -> list[int]:
        flow = FlowControlEvent()  # suspended, as at a rebalance
        queue: FlowControlQueue[str] = FlowControlQueue(flow_control=flow,
                                                        clear_on_resume=True)
        queue.put_nowait("fetched before the rebalance")
        sizes = []
        flow.resume()  # ends the suspension: what was queued before is stale
        sizes.append(queue.qsize())
        queue.put_nowait("new assignment, offset 50")
        flow.resume()  # recovery's second resume, flow already running
        sizes.append(queue.qsize())
        flow.suspend()
        flow.resume()
        sizes.append(queue.qsize())
        return sizes

    assert asyncio.run(scenario()) == [0, 1, 0]
