"""Scenario: a small mixed workload runs to quiescence (fills, a resting order canceled, an
amend, a redelivered request, garbage bytes); then an operator runs the verifier and a replay,
then a snapshot no head names is planted, then a double block, and the replay's states are
published. We expect the verifier and replay to find nothing before the plants, the stray
snapshot counted and swept (but not while the table has a violation), both to catch the
double block, and the published replay to leave a table that verifies with no orphans."""

from __future__ import annotations

from dataclasses import replace

import pytest

from brokerage.adapters.kafka import producer
from brokerage.adapters.topic_reader import read_all
from brokerage.cli import main
from brokerage.codec import state_log
from brokerage.codec.state import state_to_bytes
from brokerage.domain import refdata
from brokerage.service.replay import latest
from brokerage.service.verify import changelog_topic, verify
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import buy, sell, until, wait_status

pytestmark = pytest.mark.integration


def workload(s: Stack) -> str:
    a, b = trader(), trader()
    for t in (a, b):
        assert s.deposit(t, amount="50000.00").status_code == 201
    filled = [buy(s, a, "AAPL", 10, "191.00").json()["trade_id"],
              buy(s, b, "MSFT", 3, "412.00").json()["trade_id"]]
    again = buy(s, a, "AAPL", 10, "191.00", client_request_id="same-key")
    # The repeat names the same booked trade; its status may have moved on (a fill) meanwhile.
    repeat = buy(s, a, "AAPL", 10, "191.00", client_request_id="same-key").json()
    stable = ("trade_id", "client_request_id", "side", "symbol", "quantity", "limit_price")
    assert {k: repeat[k] for k in stable} == {k: again.json()[k] for k in stable}
    filled.append(again.json()["trade_id"])
    resting = buy(s, b, "NEWCO", 100, "1.00").json()["trade_id"]
    wait_status(s, resting, "NEW")
    assert s.http.patch(f"/v1/trades/{resting}", json={"limit_price": "1.50"}).status_code == 200
    wait_status(s, resting, "NEW")
    assert s.http.delete(f"/v1/trades/{resting}").status_code == 200
    for tid in filled:
        wait_status(s, tid, "FILLED")
    wait_status(s, resting, "CANCELED")
    sell(s, a, "AAPL", 5, "189.00")
    p = producer(s.settings.kafka_bootstrap_servers)
    p.produce(s.settings.topic_requests, b"\x00 not avro", a.encode())
    assert p.flush(10) == 0
    return a


def test_verifier_and_replay_pass_then_catch_a_planted_double_block(
        running_stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    s = running_stack
    victim = workload(s)
    bootstrap, rd = s.settings.kafka_bootstrap_servers, refdata.load()

    def clean() -> bool:
        return not verify(bootstrap, s.settings, rd).violations

    until(clean, "the verifier to pass on a quiescent system", timeout=60, every=1)
    env = s.settings.to_env()
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        from brokerage.config import get_settings
        get_settings.cache_clear()
        assert main(["verify"]) == 0
        assert main(["replay"]) == 0
        assert "replay equals live" in capsys.readouterr().out

        log = list(read_all(bootstrap, changelog_topic(s.settings)))
        partition = next(m.partition() for m in log if m.key() == victim.encode())
        found = state_log.load(victim.encode(), latest(log).get)
        assert found is not None
        p = producer(bootstrap)
        changelog = changelog_topic(s.settings)

        def plant(key: bytes, value: bytes) -> None:
            p.produce(changelog, value, key, partition=partition)
            assert p.flush(10) == 0

        # A snapshot no head names (as two lost deletions leave one): counted, not a
        # violation, and swept on request.
        head = state_log.head_of(found.raw)
        assert head is not None
        seq = min(set(range(head.seq + 1)) - {head.snapshot_seq, *head.garbage})
        stray = state_log.snapshot_key(victim.encode(), seq)  # numbered below the head
        plant(stray, state_to_bytes(found.state))
        report = verify(bootstrap, s.settings, rd)
        assert report.orphans == {stray: partition} and not report.violations
        assert main(["verify", "--sweep-orphans"]) == 0
        assert "swept 1 orphan snapshot(s)" in capsys.readouterr().out
        assert verify(bootstrap, s.settings, rd).counts["orphan snapshots"] == 0
        assert stray not in latest(read_all(bootstrap, changelog))

        # Plant: block the victim's cash twice for one trade, straight into the live table.
        state = found.state  # planted below as a whole state: a form the table also holds
        state = replace(state, cash_available=state.cash_available - 1000,
                        cash_blocked=state.cash_blocked + 1000)
        plant(victim.encode(), state_to_bytes(state))

        report = verify(bootstrap, s.settings, rd)
        assert any("cash blocked" in v and victim in v for v in report.violations)
        assert any(v.startswith("replay != live") and victim in v for v in report.violations)
        assert main(["verify"]) == 1
        assert main(["replay"]) == 1
        plant(stray, state_to_bytes(found.state))
        assert main(["verify", "--sweep-orphans"]) == 1  # a damaged table is left alone
        assert "not swept" in capsys.readouterr().out
        assert stray in latest(read_all(bootstrap, changelog))

        # Recovery: the replay's states become the table's; the victim's snapshots go too.
        assert main(["replay", "--write-changelog"]) == 0
        report = verify(bootstrap, s.settings, rd)
        assert not report.violations and report.counts["orphan snapshots"] == 0
        get_settings.cache_clear()
