"""Check a quiescent system from its topics: responses, trades against executions, the ledger
of every trader, and replay against live. Returns violations; empty means all is well."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from brokerage.adapters.topic_reader import read_all
from brokerage.codec import avro
from brokerage.codec.state_log import states_of
from brokerage.config import Settings
from brokerage.domain import audit
from brokerage.domain.refdata import RefData

from .orphans import orphans
from .replay import diff, latest, rebuild


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    orphans: dict[bytes, int] = field(default_factory=dict)  # sweepable: key -> partition


def changelog_topic(settings: Settings) -> str:
    return f"{settings.app_id}-traders-changelog"


def verify(bootstrap: str, settings: Settings, refdata: RefData) -> Report:
    rep = Report()
    where: dict[bytes, int] = {}
    live = latest(read_all(bootstrap, changelog_topic(settings)), where)
    states = states_of(live)
    rep.counts["traders"] = len(states)
    rep.counts["trades"] = sum(len(s.trades) for s in states.values())
    rep.counts["orphan snapshots"] = len(orphans(live))  # disk only: not a violation
    rep.orphans = {k: where[k] for k in orphans(live, sweepable=True)}

    # Every request has a response, and repeated responses agree.
    answers: dict[tuple[str, str], set[tuple[object, ...]]] = defaultdict(set)
    for m in read_all(bootstrap, settings.topic_responses):
        r = avro.decode("trade_event", m.value() or b"")
        if r["kind"] == "RESPONSE":
            answers[(r["trader_id"], r["request_id"])].add(
                (r["accepted"], r["reason"], r["trade_id"]))
    dead = {(h.get("dlq.topic"), h.get("dlq.partition"), h.get("dlq.offset"))
            for h in (_headers(m) for m in read_all(bootstrap, settings.topic_dead_letters))}
    requests = 0
    for m in read_all(bootstrap, settings.topic_requests):
        requests += 1
        origin = (settings.topic_requests, str(m.partition()), str(m.offset()))
        try:
            r = avro.decode("trade_request", m.value() or b"")
            ids = (r["trader_id"], r["request_id"])
        except avro.DecodeError:
            ids = None
        got = answers.get(ids) if ids else None
        if got is None and origin not in dead:
            rep.violations.append(f"request at {origin} has no response and no dead letter")
        elif got is not None and len(got) > 1:
            rep.violations.append(f"request {ids} answered differently: {sorted(map(str, got))}")
    rep.counts["requests"] = requests

    # Fills come from the exchange's reports, each applied once (audit checks the once).
    fills: dict[str, int] = defaultdict(int)
    seen: set[str] = set()
    for m in read_all(bootstrap, settings.topic_executions):
        e = avro.decode("execution_report", m.value() or b"")
        if e["exec_type"] == "TRADE" and e["exec_id"] not in seen:
            seen.add(e["exec_id"])
            fills[e["trade_id"]] += e["last_qty"]
    rep.counts["executions"] = len(seen)
    for key, s in states.items():
        rep.violations += [f"{key.decode()}: {v}" for v in audit.violations(s)]
        for t in s.trades.values():
            if t.cum_qty != fills.get(t.trade_id, 0):
                rep.violations.append(f"{t.trade_id}: filled {t.cum_qty}, exchange reported "
                                      f"{fills.get(t.trade_id, 0)}")

    rebuilt = rebuild(read_all(bootstrap, settings.topic_inputs), refdata,
                      settings.topic_executions)
    rep.counts["inputs replayed"] = rebuilt.events
    rep.violations += [f"replay != live: {d}" for d in diff(rebuilt.states, live)]
    return rep


def _headers(m: object) -> dict[str, str]:
    raw = getattr(m, "headers")() or []  # noqa: B009
    pairs = raw.items() if isinstance(raw, dict) else raw
    return {k: (v or b"").decode() for k, v in pairs}
