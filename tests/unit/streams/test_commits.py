"""Reading the group's commits when no broker answers: the stall watch gets an error to
look again later; the agent waits its patience, then the worker restarts."""

from __future__ import annotations

import asyncio

import pytest
from confluent_kafka import KafkaException

from brokerage.adapters.kafka import consumer
from streams.commits import GroupCommits


def test_without_patience_a_broker_that_does_not_answer_is_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    probe = consumer("127.0.0.1:1", "nobody-listens")  # a port nothing listens on
    commits = GroupCommits(probe, "inputs", timeout=0.5)
    restarts: list[str] = []

    def restart(reason: str) -> None:
        restarts.append(reason)
        raise SystemExit(75)

    monkeypatch.setattr("streams.commits.restart", restart)
    try:
        with pytest.raises(KafkaException):
            asyncio.run(commits.load([0]))
        assert commits.get(0) is None and not restarts
        with pytest.raises(SystemExit):
            asyncio.run(commits.load([0], patience=0.1))
        assert restarts and "cannot read the group's commits" in restarts[0]
    finally:
        probe.close()
