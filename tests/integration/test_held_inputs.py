"""Scenario: a worker acknowledges its inputs only once the trader states they changed are
written. (1) With 1 s epochs, a stack takes two short bursts of requests (deposits, buys,
a resting order), each followed by nothing. (2) With 30 s epochs, a lone worker takes
deposits straight from the input log and is told to stop (SIGTERM) at once.
We expect every request answered; in (1) the group's commit on the input log to reach the
log's end once the worker is idle (its timer writes the due states and lets the held
inputs go), and the table's changelog to hold each trader's last state, the cash the API
reports; in (2) a clean stop (exit 0, before its deadline) that writes every state and
commits every input it applied."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from confluent_kafka import TopicPartition

from brokerage.adapters.kafka import consumer, create_topics, producer, topic_configs, topic_names
from brokerage.adapters.topic_reader import read_all
from brokerage.codec import avro, state_log
from brokerage.codec.models import request_to_record
from brokerage.config import Settings
from brokerage.domain.events import Deposit
from brokerage.entrypoints.processes import Processes
from brokerage.service.replay import latest
from brokerage.service.verify import changelog_topic
from tests.integration.conftest import serving, stack_settings, trader
from tests.integration.helpers import buy, until, wait_status
from tests.integration.test_worker_stop import DEADLINE, ready, stopped

pytestmark = pytest.mark.integration


def input_ends_and_commits(s: Settings) -> tuple[list[int], list[int]]:
    c = consumer(s.kafka_bootstrap_servers, s.app_id)  # reads the group's commits only
    try:
        tps = [TopicPartition(s.topic_inputs, p) for p in range(s.partitions)]
        ends = [c.get_watermark_offsets(tp, timeout=10)[1] for tp in tps]
        commits = [max(tp.offset, 0) for tp in c.committed(tps, timeout=10)]
        return ends, commits
    finally:
        c.close()


def test_held_inputs_are_committed_once_written_even_when_the_inputs_stop(
        kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]) -> None:
    s = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"worker_state_flush_seconds": 1.0})
    with serving(s, tmp_path / "logs") as st:
        traders = [trader() for _ in range(3)]

        def burst(deposit: str) -> None:
            filled = []
            for t in traders:
                assert st.deposit(t, amount=deposit).status_code == 201
                filled.append(buy(st, t, "AAPL", 5, "191.00").json()["trade_id"])
                rests = buy(st, t, "NEWCO", 100, "1.00")  # rests on the book
                assert rests.status_code == 201, rests.text
            for trade_id in filled:
                wait_status(st, trade_id, "FILLED")  # the last inputs: its execution reports

        def all_committed() -> bool:
            ends, commits = input_ends_and_commits(s)
            return sum(ends) > 0 and commits == ends

        # Twice: a rebalance (the worker's first seconds have some) lets every input go too;
        # after the first round's wait, the second round's inputs go only when written.
        for deposit in ("10000.00", "500.00"):
            burst(deposit)
            until(all_committed, "the group's commit at the end of the input log", timeout=60)
        wallets = {t: st.http.get(f"/v1/traders/{t}/wallet").json() for t in traders}
        table = latest(read_all(kafka_bootstrap, changelog_topic(s)))
        for t in traders:
            stored = state_log.load(t.encode(), table.get)
            assert stored is not None, t
            cash = Decimal(wallets[t]["cash"]["available"]) + Decimal(
                wallets[t]["cash"]["blocked"])
            assert Decimal(stored.state.cash_available + stored.state.cash_blocked) / 100 \
                == cash, t


def test_a_stop_right_after_inputs_writes_their_states_and_commits_them(
        kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]) -> None:
    s = stack_settings(kafka_bootstrap, tmp_path / "state", unique_name).model_copy(
        update={"worker_state_flush_seconds": 30.0})  # nothing is written before the stop
    create_topics(kafka_bootstrap, topic_names(s), s.partitions, configs=topic_configs(s))
    log = tmp_path / "logs" / "worker.log"
    log.parent.mkdir()
    procs = Processes(s, str(log.parent))
    procs.start("worker")
    until(lambda: ready(s), "the worker ready", timeout=90, every=1)
    prod = producer(kafka_bootstrap)
    traders = [trader() for _ in range(20)]
    for n, t in enumerate(traders):
        value = avro.encode("trade_request", request_to_record(Deposit(f"d{n}", t, 1_000 + n)))
        prod.produce(s.topic_inputs, value, t.encode())
    prod.flush(30)
    answers = consumer(kafka_bootstrap, unique_name("answers"))
    answers.subscribe([s.topic_responses])
    got: list[object] = []
    until(lambda: got.extend(m for m in answers.consume(100, 0.5) if not m.error())
          or len(got) >= len(traders), "every deposit answered")
    answers.close()

    assert stopped(procs.procs["worker"]) == 0
    assert DEADLINE not in log.read_text()
    ends, commits = input_ends_and_commits(s)
    assert sum(ends) == len(traders) and commits == ends
    table = latest(read_all(kafka_bootstrap, changelog_topic(s)))
    for n, t in enumerate(traders):
        stored = state_log.load(t.encode(), table.get)
        assert stored is not None and stored.state.cash_available == 1_000 + n, t
