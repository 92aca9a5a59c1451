"""Scenario: a broker started as `brokerage kafka start --secure` does (SASL_SSL, SCRAM users
per service, ACLs), and a whole stack on it started the way `brokerage up` starts one (it
finds the local secure broker in its state dir; the reporting sink and PostgreSQL too), whose
services each sign in as their own user, with the API and the worker's web port on HTTPS and
trader states encrypted; then `brokerage bench --smoke` against that broker with the
settings `client.env` gives. We expect a client without (or with wrong) credentials to be
refused, a service acting outside its ACL to be refused, a trade to go through end to end
with the verifier passing, and the bench to write a complete result with every request
answered, its load generator, collector and pass-through granted as the `bench` user, even
on a broker whose ACLs were never applied; and a pass-through refused its consumer group to
exit with the error rather than poll forever."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from confluent_kafka import KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import (
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    NewTopic,
    ResourcePatternType,
    ResourceType,
)

from brokerage.adapters.kafka import admin_client, consumer
from brokerage.bench.results import missing
from brokerage.config import Settings
from brokerage.domain import refdata
from brokerage.entrypoints.stack import stack
from brokerage.entrypoints.tokens import bearer
from brokerage.localkafka import BrokerInfo, free_port, start, stop
from brokerage.localpg import installed
from brokerage.security import acls, brokerconf, certs, keys, users
from brokerage.service.verify import verify
from tests.integration.conftest import Stack, stack_settings, trader
from tests.integration.helpers import buy, until, wait_status, wallet

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerInfo]:
    s = Settings()
    # <state dir>/kafka: where `brokerage up` (stack()) looks for the local broker.
    data_dir = tmp_path_factory.mktemp("secure-state") / "kafka"
    info = start(free_port(), data_dir, version=s.kafka_version, cache_dir=s.kafka_cache_dir,
                 heap=s.kafka_heap, partitions=4, secure=True)
    try:
        yield info
    finally:
        stop(data_dir)


def creds(info: BrokerInfo) -> dict[str, str]:
    path = brokerconf.security_dir(info.data_dir) / "credentials.json"
    doc: dict[str, str] = json.loads(path.read_text())
    return doc


def as_user(info: BrokerInfo, user: str, password: str | None = None) -> dict[str, str]:
    return {"bootstrap.servers": info.bootstrap, "security.protocol": "SASL_SSL",
            "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user,
            "sasl.password": password or creds(info)[user],
            "ssl.ca.location": str(brokerconf.security_dir(info.data_dir) / "ca.pem"),
            "log_level": "0"}  # the refusals below would otherwise flood the output


@pytest.fixture(scope="module")
def secure_stack(secure_broker: BrokerInfo,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    info, root = secure_broker, tmp_path_factory.mktemp("secure-stack")
    sec = brokerconf.security_dir(info.data_dir)
    tls = certs.issue(root, "services", (sec / "ca.pem", sec / "ca.key"))
    ring = keys.with_new_key(None, "k1")
    keys.write_private(root / "state-keys.json", keys.dump(ring))
    web = free_port()
    base = stack_settings(info.bootstrap, info.data_dir.parent, _names())
    s = base.model_copy(update={
        # As under `brokerage up`: no bootstrap and no Kafka credentials; stack() finds the
        # secure broker in <state dir>/kafka and signs each service in as itself.
        "kafka_bootstrap_servers": "",
        "postgres_port": free_port(), "sink_metrics_port": free_port(),
        "api_ssl_certfile": tls.cert, "api_ssl_keyfile": tls.key,
        "worker_ssl_certfile": tls.cert, "worker_ssl_keyfile": tls.key,
        "worker_web_port": web, "worker_urls": f"https://127.0.0.1:{web}",
        "state_keys_file": root / "state-keys.json",
    })
    acls.apply(admin_client(info.bootstrap), s)
    logs = root / "logs"
    logs.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSL_CERT_FILE", str(sec / "ca.pem"))  # httpx/aiohttp trust the local CA
        keys.install(ring)  # this process reads the encrypted changelog (verify)
        try:
            trust = ssl.create_default_context(cafile=str(sec / "ca.pem"))
            with stack(s, log_dir=str(logs), reporting=installed()) as running, \
                    httpx.Client(base_url=running.url, timeout=30, verify=trust) as http:
                admin = bearer(s, "tests-admin", admin=True)
                http.headers.update(admin)
                yield Stack(running.settings, running.url, http, admin, running)
        except BaseException:
            for log in sorted(logs.glob("*.log")):
                print(f"==== {log.name}\n{log.read_text()[-4000:]}")
            raise
        finally:
            keys.reset()


def _names() -> Callable[[str], str]:
    tag = os.urandom(4).hex()
    return lambda prefix: f"{prefix}-{tag}"


def test_a_client_without_valid_credentials_is_refused(secure_broker: BrokerInfo) -> None:
    plain = {"bootstrap.servers": secure_broker.bootstrap, "log_level": "0"}
    with pytest.raises(KafkaException):
        AdminClient(plain).list_topics(timeout=5)
    with pytest.raises(KafkaException):
        AdminClient(as_user(secure_broker, "api", "not-the-password")).list_topics(timeout=5)
    assert AdminClient(as_user(secure_broker, "api")).list_topics(timeout=10) is not None


def _produce(info: BrokerInfo, user: str, topic: str) -> KafkaError | None:
    p = Producer(as_user(info, user))
    errors: list[KafkaError | None] = []
    p.produce(topic, b"x", key=b"t-acl", on_delivery=lambda err, _m: errors.append(err))
    assert p.flush(30) == 0
    return errors[0]


def test_services_acting_outside_their_acls_are_refused(secure_broker: BrokerInfo,
                                                        secure_stack: Stack) -> None:
    info, s = secure_broker, secure_stack.settings
    denied = KafkaError.TOPIC_AUTHORIZATION_FAILED
    for user, topic in (("api", s.topic_executions), ("api", f"{s.app_id}-traders-changelog"),
                        ("connector", s.topic_responses), ("worker", s.topic_executions),
                        ("sequencer", s.topic_orders), ("sink", s.topic_inputs)):
        err = _produce(info, user, topic)
        assert err is not None and err.code() == denied, (user, topic, err)
    # Reading what it does not serve: the API may not read the input log.
    c = consumer(info.bootstrap, "api-probe", **{k: v for k, v in as_user(info, "api").items()
                                                  if k != "bootstrap.servers"})
    try:
        c.subscribe([s.topic_inputs])
        msg = until(lambda: c.poll(1), "the API's read of the input log to be refused", 30)
        assert msg.error() is not None and msg.error().code() == denied
    finally:
        c.close()


def test_a_trade_goes_through_end_to_end_over_sasl_ssl_and_https(secure_stack: Stack) -> None:
    s, t = secure_stack, trader()
    assert s.url.startswith("https://")
    procs = s.running.processes.procs
    for role in ("sequencer", "worker", "connector", "api", "sink"):  # each signed in as itself
        if role not in procs:  # the sink: only where PostgreSQL is installed
            continue
        environ = _environ(procs[role].pid)
        assert f"BROKERAGE_KAFKA_USERNAME={role}" in environ, role
        assert not any(v.startswith("BROKERAGE_KAFKA_PASSWORD=") for v in environ)
        (own,) = [v.split("=", 1)[1] for v in environ
                  if v.startswith("BROKERAGE_KAFKA_CREDENTIALS_FILE=")]
        assert list(users.read_credentials(Path(own))) == [role]  # its own password only
    # The exchange simulator, a stand-in for a remote venue, has no Kafka identity at all.
    assert not any(v.startswith(("BROKERAGE_KAFKA_USERNAME=", "BROKERAGE_KAFKA_CREDENTIALS"))
                   for v in _environ(procs["exchange-sim"].pid))
    assert s.deposit(t, amount="5000.00").status_code == 201
    r = buy(s, t, "AAPL", 10, "191.00")
    assert r.status_code == 201, r.text
    assert wait_status(s, r.json()["trade_id"], "FILLED")["filled_quantity"] == 10
    w = wallet(s, t)
    assert w["holdings"] == {"AAPL": {"available": 10, "blocked": 0}}
    rd, bootstrap = refdata.load(), s.settings.kafka_bootstrap_servers
    until(lambda: not verify(bootstrap, s.settings, rd).violations,
          "the verifier to pass over SASL_SSL", timeout=60, every=1)
    if "sink" in procs:  # the sink read the input log under its own ACL and committed
        group, inputs = f"{s.settings.app_id}-sink-postgres", s.settings.topic_inputs
        c = consumer(bootstrap, group)
        try:
            until(lambda: any(tp.offset > 0 for tp in c.committed(
                [TopicPartition(inputs, p) for p in range(s.settings.partitions)], timeout=10)),
                "the sink to commit its reading of the input log", timeout=60, every=1)
        finally:
            c.close()


def _environ(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace").split("\0")


def test_bench_smoke_on_the_secure_broker(secure_broker: BrokerInfo, tmp_path: Path) -> None:
    info, out = secure_broker, tmp_path / "results"
    client_env = brokerconf.security_dir(info.data_dir) / "client.env"
    env = {**os.environ, **dict(line.split("=", 1) for line in
                                client_env.read_text().splitlines() if line)}
    assert env["BROKERAGE_KAFKA_USERNAME"] == "admin"  # the bench itself; its clients: bench
    done = subprocess.run(
        [sys.executable, "-m", "brokerage.cli", "bench", "--smoke", "--skip-postgres",
         "--bootstrap", info.bootstrap, "--out", str(out)],
        capture_output=True, text=True, timeout=280, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    (folder,) = out.iterdir()
    doc = json.loads((folder / "result.json").read_text())
    assert missing(doc) == [] and doc["machine"]["kafka_security"] == "SASL_SSL"
    # The floor's stand-ins sign in as this environment's user (admin), as the bench does.
    for run in ("ours", "ceiling", "floor"):
        for phase in doc[run]["phases"]:
            assert phase["requests"] > 0 and phase["unanswered"] == 0, (run, phase["name"])
    assert "| ours | closed loop |" in (folder / "result.md").read_text()
    # The topics its ACLs let bench describe are counted.
    assert doc["ours"]["messages"].get("requests", 0) > 0
    # The run's topics were granted to `bench` alone: its own clients signed in as bench.
    admin = admin_client(info.bootstrap)  # kept: its futures die with it
    found = admin.describe_acls(AclBindingFilter(
        ResourceType.TOPIC, None, ResourcePatternType.ANY, "User:bench", None,
        AclOperation.ANY, AclPermissionType.ANY)).result(timeout=30)
    names = {b.name for b in found}
    assert any(n.endswith("-requests") and n.startswith("bench-") for n in names), names
    assert any(n.startswith("bench-raw-") and n.endswith("-out") for n in names), names


def test_a_refused_pass_through_exits_instead_of_polling(secure_broker: BrokerInfo) -> None:
    """The raw ceiling's pass-through as `bench` on topics it may use, in a consumer group it
    may not: it must end with an error (the bench then fails the run), not poll forever."""
    info, tag = secure_broker, f"refused-{os.getpid()}"
    src, dst = f"{tag}-in", f"{tag}-out"
    admin = AdminClient(as_user(info, "admin"))
    for fut in admin.create_topics([NewTopic(t, 1, 1) for t in (src, dst)]).values():
        fut.result(timeout=30)
    acls.apply_grants(admin, [g for g in acls.pass_through(src, dst, tag)
                              if g.resource is not acls.GROUP])  # the topics, not the group
    client_env = brokerconf.security_dir(info.data_dir) / "client.env"
    env = {**os.environ, **dict(line.split("=", 1) for line in
                                client_env.read_text().splitlines() if line),
           "BROKERAGE_KAFKA_USERNAME": "bench"}
    done = subprocess.run([sys.executable, "-m", "brokerage.bench.passthrough", info.bootstrap,
                           src, dst, tag], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode != 0
    assert "GROUP_AUTHORIZATION_FAILED" in done.stderr, done.stderr[-2000:]
