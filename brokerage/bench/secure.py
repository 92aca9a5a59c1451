"""The bench on a secure broker (SASL_SSL): who each of its processes signs in as.

The bench process itself creates topics and ACLs and samples lags: it is the settings' user
(admin on `--secure`'s own broker). The stack's services sign in as themselves (Processes).
The load generator, the collector and the raw pass-through sign in as `bench`, whose ACLs
cover only each run's requests and responses, or the ceiling's two topics. With plaintext
settings, or one given password (no credentials file), nothing here changes anything.
"""

from __future__ import annotations

import os

from brokerage.adapters.kafka import admin_client
from brokerage.config import Settings
from brokerage.security import acls, clientconf, users


def bench_conf(s: Settings) -> dict[str, str]:
    """librdkafka security settings of the load generator and the collector."""
    return clientconf.security_conf(clientconf.as_user(s, users.BENCH))


def bench_env(s: Settings) -> dict[str, str]:
    """The environment of a bench child that reads its own settings (the pass-through)."""
    kafka = {k: v for k, v in clientconf.as_user(s, users.BENCH).to_env().items()
             if k.startswith("BROKERAGE_KAFKA_") and k != "BROKERAGE_KAFKA_CREDENTIALS_FILE"}
    if clientconf.per_service(s):
        kafka.update(clientconf.identity(s, users.BENCH))
    # Not the parent's own identity: no password of another user reaches the child.
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("BROKERAGE_KAFKA_")}
    return {**inherited, **kafka}


def grant(s: Settings, chosen: list[acls.Grant]) -> None:
    """ACLs for a run's fresh topics, when its processes sign in as users of their own."""
    if clientconf.per_service(s):
        acls.apply_grants(admin_client(s.kafka_bootstrap_servers), chosen)
