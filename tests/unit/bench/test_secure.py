"""The bench on a secure broker, without one: its load generator, collector and pass-through
sign in as `bench` (never with another user's password), its ACLs name only each run's
topics, and the worker's "<app_id>-*" grant never covers a bench run's requests or
executions. Plaintext settings change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from brokerage.bench.secure import bench_conf, bench_env
from brokerage.bench.stackrun import bench_settings
from brokerage.config import Settings
from brokerage.security import acls, users


def secure(tmp_path: Path) -> tuple[Settings, dict[str, str]]:
    creds = tmp_path / "credentials.json"
    made = users.make_credentials(creds)
    return Settings(kafka_security_protocol="SASL_SSL", kafka_username="admin",
                    kafka_credentials_file=creds, kafka_ssl_cafile=tmp_path / "ca.pem"), made


def test_the_bench_clients_sign_in_as_bench(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    s, made = secure(tmp_path)
    conf = bench_conf(s)
    assert conf["sasl.username"] == "bench" and conf["sasl.password"] == made["bench"]
    assert conf["security.protocol"] == "SASL_SSL"
    monkeypatch.setenv("BROKERAGE_KAFKA_PASSWORD", made["admin"])  # the parent's own
    monkeypatch.setenv("BROKERAGE_KAFKA_USERNAME", "admin")
    env = bench_env(s)
    assert env["BROKERAGE_KAFKA_USERNAME"] == "bench"
    assert "BROKERAGE_KAFKA_PASSWORD" not in env
    assert env["BROKERAGE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    own = Path(env["BROKERAGE_KAFKA_CREDENTIALS_FILE"])  # its password only, not everyone's
    assert users.read_credentials(own) == {"bench": made["bench"]}
    assert made["admin"] not in env.values()


def test_one_given_password_is_used_as_it_is(tmp_path: Path) -> None:
    s = Settings(kafka_security_protocol="SASL_SSL", kafka_username="loadtest",
                 kafka_password=SecretStr("pw"))
    assert bench_conf(s)["sasl.username"] == "loadtest"
    assert bench_conf(Settings()) == {}


def test_bench_acls_name_only_the_runs_topics(tmp_path: Path) -> None:
    s = bench_settings(Settings(), tmp_path, 8, False)
    mine = {(g.name, g.operation.name) for g in acls.grants(s) if g.user == "bench"}
    assert mine == {(s.topic_requests, "WRITE"), (s.topic_responses, "READ"),
                    ("bench", "READ")}
    raw = acls.pass_through("raw-in", "raw-out", "raw")
    assert {g.user for g in raw} == {"bench"}
    assert {(g.resource.name, g.name) for g in raw} == {
        ("TOPIC", "raw-in"), ("TOPIC", "raw-out"), ("GROUP", "raw")}
    (prefix,) = [g.name for g in acls.grants(s) if g.user == "worker" and g.name.endswith("-")]
    for topic in (s.topic_requests, s.topic_executions, s.topic_responses, s.topic_inputs):
        assert not topic.startswith(prefix), topic
