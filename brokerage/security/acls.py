"""Least-privilege ACLs per service, from the topic names and app id in settings.

Only the worker writes the tables' changelogs, responses and orders; only the connector
writes executions; the API may only produce requests and read what it serves. Reading a
topic lets a client describe it; nothing else is allowed (the authorizer denies by default).
"""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
)

from brokerage.config import Settings

from . import users

READ, WRITE, ALL = AclOperation.READ, AclOperation.WRITE, AclOperation.ALL
TOPIC, GROUP = ResourceType.TOPIC, ResourceType.GROUP
LITERAL, PREFIXED = ResourcePatternType.LITERAL, ResourcePatternType.PREFIXED


@dataclass(frozen=True)
class Grant:
    user: str
    resource: ResourceType
    name: str
    operation: AclOperation
    pattern: ResourcePatternType = LITERAL

    def binding(self) -> AclBinding:
        return AclBinding(self.resource, self.name, self.pattern, f"User:{self.user}", "*",
                          self.operation, AclPermissionType.ALLOW)


def grants(s: Settings) -> list[Grant]:
    app = s.app_id
    sink_group = s.sink_group_id or f"{app}-sink-postgres"
    out: list[Grant] = []

    def topics(user: str, op: AclOperation, *names: str) -> None:
        out.extend(Grant(user, TOPIC, n, op) for n in names)

    def group(user: str, name: str, pattern: ResourcePatternType = LITERAL) -> None:
        out.append(Grant(user, GROUP, name, READ, pattern))

    # Worker (faust): the ordered inputs in; responses, orders, dead letters out; its own
    # changelog and internal topics (named "<app_id>-...", created by faust) in full.
    topics("worker", READ, s.topic_inputs)
    topics("worker", WRITE, s.topic_responses, s.topic_orders, s.topic_dead_letters)
    out.append(Grant("worker", TOPIC, f"{app}-", ALL, PREFIXED))
    group("worker", app)
    # Sequencer: requests and executions in, the input log out.
    topics("sequencer", READ, s.topic_requests, s.topic_executions)
    topics("sequencer", WRITE, s.topic_inputs)
    group("sequencer", f"{app}-sequencer")
    # Connector: orders in; executions (and unusable orders) out; it reads executions back
    # to resume the exchange's report stream.
    topics("connector", READ, s.topic_orders, s.topic_executions)
    topics("connector", WRITE, s.topic_executions, s.topic_dead_letters)
    group("connector", f"{app}-connector")
    group("connector", "seq-scan-", PREFIXED)
    # API: publishes requests; reads responses, executions and requests (the Alpaca stream:
    # a refused NEW's terms) and API keys.
    topics("api", WRITE, s.topic_requests)
    topics("api", READ, s.topic_responses, s.topic_executions, s.topic_requests,
           s.topic_api_keys)
    group("api", "api-", PREFIXED)
    # Reporting sink: the input log only.
    topics("sink", READ, s.topic_inputs)
    group("sink", sink_group)
    # `brokerage bench`: its load generator publishes requests (as the API does), its
    # collector reads responses; their groups (and the raw ceiling's) start with "bench".
    topics(users.BENCH, WRITE, s.topic_requests)
    topics(users.BENCH, READ, s.topic_responses)
    group(users.BENCH, "bench", PREFIXED)
    return out


def pass_through(src: str, dst: str, groups: str) -> list[Grant]:
    """The bench's raw ceiling, all as the bench user: its generator writes `src`, the
    pass-through reads `src` and writes `dst`, its collector reads `dst`; their consumer
    groups start with `groups`. The groups are granted here too: a broker whose ACLs were
    never applied (no `kafka start --secure`, no stack yet) has no "bench" group grant."""
    return [*(Grant(users.BENCH, TOPIC, name, op) for name in (src, dst) for op in (READ, WRITE)),
            Grant(users.BENCH, GROUP, groups, READ, PREFIXED)]


def apply(admin: AdminClient, s: Settings, timeout: float = 30) -> int:
    """Create the ACLs for `s` (idempotent: existing bindings are left as they are)."""
    return apply_grants(admin, grants(s), timeout)


def apply_grants(admin: AdminClient, chosen: list[Grant], timeout: float = 30) -> int:
    bindings = [g.binding() for g in chosen]
    for binding, fut in admin.create_acls(bindings, request_timeout=timeout).items():
        try:
            fut.result()
        except Exception as exc:
            raise RuntimeError(f"could not create ACL {binding}: {exc}") from exc
    return len(bindings)
