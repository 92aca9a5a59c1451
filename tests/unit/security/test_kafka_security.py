"""Secure-mode pieces without a broker: the ACLs give least privilege, the broker properties
turn on SASL_SSL and the authorizer, client settings come from settings without leaking the
password, each child service gets its own user, and certificates chain to the local CA."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from faust.auth import SASLCredentials
from pydantic import SecretStr

from brokerage.config import Settings
from brokerage.localkafka import props
from brokerage.security import acls, brokerconf, certs, clientconf, users
from brokerage.security.clientconf import KafkaAuthConfigError

S = Settings(app_id="app")


def allowed(user: str) -> set[tuple[str, str, str]]:
    return {(g.resource.name, g.name, g.operation.name) for g in acls.grants(S) if g.user == user}


def writes(user: str) -> set[str]:
    return {name for kind, name, op in allowed(user) if kind == "TOPIC" and op in ("WRITE", "ALL")}


def test_only_the_worker_writes_responses_orders_and_changelogs() -> None:
    assert writes("worker") == {S.topic_responses, S.topic_orders, S.topic_dead_letters, "app-"}
    for user in users.SERVICES:
        if user != "worker":
            assert not writes(user) & {S.topic_responses, S.topic_orders, "app-"}, user


def test_only_the_connector_writes_executions() -> None:
    assert [u for u in users.SERVICES if S.topic_executions in writes(u)] == ["connector"]


def test_the_api_produces_requests_and_reads_what_it_serves() -> None:
    assert writes("api") == {S.topic_requests}
    reads = {name for kind, name, op in allowed("api") if kind == "TOPIC" and op == "READ"}
    assert reads == {S.topic_responses, S.topic_executions, S.topic_requests, S.topic_api_keys}
    assert ("GROUP", "api-", "READ") in allowed("api")


def test_prefixed_grants_are_only_the_workers_own_topics_and_groups() -> None:
    prefixed = {(g.user, g.name) for g in acls.grants(S) if g.pattern == acls.PREFIXED}
    assert prefixed == {("worker", "app-"), ("connector", "seq-scan-"), ("api", "api-"),
                        ("bench", "bench")}


def test_secure_broker_properties(tmp_path: Path) -> None:
    m = brokerconf.prepare(tmp_path)
    text = brokerconf.harden(props.render_server(9093, 9094, tmp_path, 4), 9093, 9094, m)
    conf = dict(line.split("=", 1) for line in text.splitlines() if "=" in line
                and not line.startswith("#"))
    assert conf["listeners"] == "SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094"
    assert conf["inter.broker.listener.name"] == "SASL_SSL"
    assert "PLAINTEXT://" not in text
    assert conf["authorizer.class.name"].endswith("StandardAuthorizer")
    assert conf["super.users"] == "User:admin"
    assert conf["allow.everyone.if.no.acl.found"] == "false"
    for secret in (m.credentials, m.keystore, tmp_path / "security" / "ca.key"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert set(m.creds) == set(users.USERS)
    assert brokerconf.prepare(tmp_path).creds == m.creds  # kept across starts


def test_certificate_chains_to_the_ca_for_localhost(tmp_path: Path) -> None:
    ca = certs.make_ca(tmp_path)
    issued = certs.issue(tmp_path, "svc", ca)
    cert = x509.load_pem_x509_certificate(issued.cert.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca[0].read_bytes()))
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(issued.cert), str(issued.key))  # a usable server certificate


def test_client_settings(tmp_path: Path) -> None:
    assert clientconf.security_conf(S) == {}
    creds = tmp_path / "creds.json"
    users.make_credentials(creds)
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_username="api",
                 kafka_credentials_file=creds, kafka_ssl_cafile=tmp_path / "ca.pem")
    conf = clientconf.security_conf(s)
    assert conf["sasl.username"] == "api" and conf["sasl.password"] == users.read_credentials(
        creds)["api"]
    assert conf["security.protocol"] == "SASL_SSL" and conf["ssl.ca.location"].endswith("ca.pem")
    explicit = s.model_copy(update={"kafka_password": SecretStr("pw"),
                                    "kafka_credentials_file": None})
    assert clientconf.security_conf(explicit)["sasl.password"] == "pw"
    with pytest.raises(KafkaAuthConfigError, match="USERNAME"):
        clientconf.security_conf(s.model_copy(update={"kafka_username": ""}))
    with pytest.raises(KafkaAuthConfigError) as err:
        clientconf.security_conf(s.model_copy(update={"kafka_username": "nobody"}))
    assert "nobody" in str(err.value)


def test_registered_bootstrap_wins_over_settings() -> None:
    clientconf.register("127.0.0.1:1", {"security.protocol": "SASL_SSL"})
    try:
        assert clientconf.client_conf("127.0.0.1:1")["security.protocol"] == "SASL_SSL"
    finally:
        clientconf.unregister("127.0.0.1:1")
    assert clientconf.client_conf("127.0.0.1:1") == {"bootstrap.servers": "127.0.0.1:1"}


def test_each_child_service_signs_in_as_itself(tmp_path: Path) -> None:
    creds = users.make_credentials(tmp_path / "c.json")
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_username="admin",
                 kafka_credentials_file=tmp_path / "c.json", kafka_password=SecretStr("adm"))
    env = {"BROKERAGE_KAFKA_USERNAME": "admin", "BROKERAGE_KAFKA_PASSWORD": "adm",
           "BROKERAGE_KAFKA_CREDENTIALS_FILE": str(tmp_path / "c.json")}
    for command, user in users.ROLE_USERS.items():
        child = clientconf.service_env(env, command, s)
        assert child["BROKERAGE_KAFKA_USERNAME"] == user
        # Its own password only: not the parent's, nor the file with everyone's.
        assert "BROKERAGE_KAFKA_PASSWORD" not in child
        own = Path(child["BROKERAGE_KAFKA_CREDENTIALS_FILE"])
        assert users.read_credentials(own) == {user: creds[user]}
        assert own.stat().st_mode & 0o777 == 0o600
        signed = Settings(kafka_security_protocol="SASL_SSL", kafka_username=user,
                          kafka_credentials_file=own)
        assert clientconf.credentials(signed) == (user, creds[user])
    # The exchange simulator (no Kafka client) gets no Kafka identity at all.
    sim = clientconf.service_env({**env, "BROKERAGE_KAFKA_CREDENTIALS_FILE": "c.json",
                                  "BROKERAGE_KAFKA_SSL_CAFILE": "ca.pem"}, "exchange-sim", s)
    assert sim == {"BROKERAGE_KAFKA_SSL_CAFILE": "ca.pem"}
    assert clientconf.service_env(env, "worker", Settings()) == env


def test_faust_credentials(tmp_path: Path) -> None:
    assert clientconf.faust_credentials(S) is None
    ca = certs.make_ca(tmp_path)[0]
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_username="worker",
                 kafka_password=SecretStr("pw"), kafka_ssl_cafile=ca)
    cred = clientconf.faust_credentials(s)
    assert isinstance(cred, SASLCredentials) and "pw" not in repr(cred)
    assert cred.username == "worker" and cred.mechanism.value == "SCRAM-SHA-512"
    assert cred.protocol.value == "SASL_SSL"
