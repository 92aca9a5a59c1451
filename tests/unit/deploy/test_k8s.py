"""deploy/k8s validates against Kubernetes' own schemas (kubernetes-validate, offline, strict:
unknown fields refused) and has what the README promises: workers as a StatefulSet with a
volume each, the API and connector with autoscalers, disruption budgets, probes and resource
limits on every container, a NetworkPolicy that admits only the API from outside, Secrets and
a ConfigMap."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.unit.deploy.tools import DEPLOY

kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate (dev extras)")
K8S = DEPLOY / "k8s"
VERSION = "1.30.0"


def manifests() -> list[dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    docs = []
    for name in kustomization["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return docs


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in manifests() if d["kind"] == kind}


def test_every_file_is_listed_and_every_manifest_validates() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    for doc in manifests():
        kv.validate(doc, VERSION, strict=True)


def test_the_validator_refuses_a_wrong_manifest() -> None:
    doc = by_kind("Deployment")["api"]
    wrong = {**doc, "spec": {**doc["spec"], "replicas": "two"}}
    with pytest.raises(kv.ValidationError):
        kv.validate(wrong, VERSION, strict=True)
    unknown = {**doc, "spec": {**doc["spec"], "replica": 2}}
    with pytest.raises(kv.ValidationError):
        kv.validate(unknown, VERSION, strict=True)


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    c: list[dict[str, Any]] = workload["spec"]["template"]["spec"]["containers"]
    return c


def test_workers_are_a_statefulset_with_volumes_and_stable_names() -> None:
    (worker,) = by_kind("StatefulSet").values()
    assert worker["spec"]["serviceName"] == "worker"
    assert worker["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    assert by_kind("Service")["worker"]["spec"]["clusterIP"] == "None"
    (c,) = containers(worker)
    assert "$(POD_NAME)" in c["args"]
    urls = by_kind("ConfigMap")["brokerage-settings"]["data"]["BROKERAGE_WORKER_URLS"]
    assert len(urls.split(",")) == worker["spec"]["replicas"]


def test_probes_resources_and_non_root_everywhere() -> None:
    workloads = [*by_kind("Deployment").values(), *by_kind("StatefulSet").values()]
    assert {w["metadata"]["name"] for w in workloads} >= {"api", "connector", "sequencer",
                                                          "worker"}
    for w in workloads:
        assert w["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        for c in containers(w):
            assert c["livenessProbe"] and c["readinessProbe"], w["metadata"]["name"]
            assert c["resources"]["requests"] and c["resources"]["limits"]
            assert c["securityContext"]["allowPrivilegeEscalation"] is False


def test_api_and_connector_scale_and_budgets_cover_them() -> None:
    autoscalers = by_kind("HorizontalPodAutoscaler").values()
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in autoscalers}
    assert hpas == {"api", "connector"}
    assert set(by_kind("PodDisruptionBudget")) >= {"api", "connector", "worker", "sequencer"}


def test_only_the_api_is_reachable_from_outside() -> None:
    policies = by_kind("NetworkPolicy")
    deny = policies["default-deny-ingress"]["spec"]
    assert deny["podSelector"] == {} and "ingress" not in deny
    open_to_all = [p for p in policies.values() for rule in p["spec"].get("ingress", [])
                   if "from" not in rule]
    assert [p["metadata"]["name"] for p in open_to_all] == ["api-from-anywhere"]
    assert policies["api-from-anywhere"]["spec"]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/component": "api"}


def test_secrets_and_settings() -> None:
    secrets = by_kind("Secret")
    assert "BROKERAGE_AUTH_SECRET" in secrets["brokerage-secrets"]["stringData"]
    assert set(secrets["kafka-credentials"]["stringData"]) == {
        "admin", "worker", "sequencer", "connector", "api", "ca.crt"}
    settings = by_kind("ConfigMap")["brokerage-settings"]["data"]
    assert settings["BROKERAGE_REPLICATION_FACTOR"] == "3"
    assert settings["BROKERAGE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert not any("SECRET" in k or "PASSWORD" in k for k in settings)


def test_each_pod_gets_only_its_own_kafka_password() -> None:
    """Least privilege: a pod holds its own user's password (from its key of the Secret) and
    the CA, never a file with every user's password (admin's above all)."""
    workloads = [*by_kind("Deployment").values(), *by_kind("StatefulSet").values(),
                 *by_kind("Job").values()]
    seen = set()
    for w in workloads:
        pod = w["spec"]["template"]["spec"]
        for c in pod["containers"]:
            env = {e["name"]: e for e in c.get("env", [])}
            if "BROKERAGE_KAFKA_USERNAME" not in env:
                continue
            user = env["BROKERAGE_KAFKA_USERNAME"]["value"]
            ref = env["BROKERAGE_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": "kafka-credentials", "key": user}, w["metadata"]["name"]
            seen.add(user)
        for v in pod.get("volumes", []):
            if v.get("secret", {}).get("secretName") == "kafka-credentials":
                assert v["secret"]["items"] == [{"key": "ca.crt", "path": "ca.crt"}]
    assert seen == {"admin", "worker", "sequencer", "connector", "api"}
    settings = by_kind("ConfigMap")["brokerage-settings"]["data"]
    assert "BROKERAGE_KAFKA_CREDENTIALS_FILE" not in settings
