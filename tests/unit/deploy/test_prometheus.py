"""The alert rules and Prometheus' configuration pass promtool, the rules' own unit tests pass,
and every series they (and the dashboard) use is one our processes export."""

from __future__ import annotations

import importlib
import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.unit.deploy.tools import DEPLOY

PROM = DEPLOY / "prometheus"
promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(promtool is None, reason=(
    "promtool not installed (Debian package prometheus; .ci/run installs it)"))
# Where our processes define their metrics.
METRIC_MODULES = ("api.bridge", "api.observe", "api.ratelimit", "brokerage.observability.metrics",
                  "connectors.link.breaker", "connectors.link.client", "connectors.link.reconcile",
                  "connectors.link.stream", "connectors.venue.server", "streams.metrics")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert promtool is not None
    return subprocess.run([promtool, *args], cwd=PROM, capture_output=True, text=True)


@needs_promtool
def test_promtool_checks_the_rules_and_the_config() -> None:
    r = run("check", "rules", "alerts.yml")
    assert r.returncode == 0, r.stdout + r.stderr
    r = run("check", "config", "prometheus.yml")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_the_alerts_fire_when_they_should() -> None:
    r = run("test", "rules", "alerts_test.yml")
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_promtool_refuses_a_broken_rule() -> None:
    """The check can fail: a rule with a syntax error is refused."""
    bad = PROM / "alerts.yml"
    broken = bad.read_text().replace("== 1", "== == 1", 1)
    r = subprocess.run([str(promtool), "check", "rules", "/dev/stdin"], input=broken,
                       capture_output=True, text=True)
    assert r.returncode != 0


def exported_series() -> set[str]:
    """Every series name our processes' metrics can produce."""
    from prometheus_client import REGISTRY

    for module in METRIC_MODULES:
        importlib.import_module(module)
    names = set()
    for family in REGISTRY.collect():
        for suffix in ("", "_total", "_bucket", "_count", "_sum", "_created"):
            names.add(family.name + suffix)
    return names


def used_series() -> dict[str, set[str]]:
    rules = yaml.safe_load((PROM / "alerts.yml").read_text())
    exprs = {"alerts.yml": " ".join(r["expr"] for g in rules["groups"] for r in g["rules"])}
    dash = json.loads((DEPLOY / "grafana" / "dashboards" / "brokerage.json").read_text())
    exprs["dashboard"] = " ".join(t["expr"] for p in dash["panels"] for t in p.get("targets", []))
    return {where: set(re.findall(r"\bbrokerage_[a-z_]+", text)) for where, text in exprs.items()}


def test_every_series_in_the_rules_and_dashboard_is_exported() -> None:
    exported = exported_series()
    for where, names in used_series().items():
        assert names, where
        assert names <= exported, f"{where} uses series no process exports: {names - exported}"


def test_the_dashboard_covers_what_the_alerts_watch() -> None:
    used = used_series()
    families = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in used["alerts.yml"]}
    shown = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in used["dashboard"]}
    assert families <= shown, f"not on the dashboard: {families - shown}"


def test_metric_names_carry_their_unit() -> None:
    from prometheus_client import REGISTRY

    exported_series()
    for family in REGISTRY.collect():
        if not family.name.startswith("brokerage_"):
            continue
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
        if family.type == "gauge" and "lag" in family.name:
            assert family.name.endswith("_messages"), family.name
