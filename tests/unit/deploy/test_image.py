"""The Dockerfile builds in stages, runs as a non-root user, and installs exactly the locked
dependencies, which agree with pyproject.toml's pins. (No engine runs here to build it.)"""

from __future__ import annotations

import re
import tomllib

from tests.unit.deploy.tools import DEPLOY, ROOT


def test_multi_stage_non_root_and_locked() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^COPY --from=build ", text, re.M)
    users = re.findall(r"^USER (\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "requirements.lock" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)


def test_the_lock_pins_everything_pyproject_pins_at_the_same_version() -> None:
    locked = {}
    for line in (DEPLOY / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            locked[re.sub(r"[-_.]+", "-", name).lower()] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["otel"]]
    for pin in pins:
        m = re.match(r"([A-Za-z0-9_.-]+)(\[[^]]*\])?==([^;\s]+)", pin)
        assert m, f"not pinned with ==: {pin}"
        name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
        assert locked.get(name) == m.group(3), f"{name}: lock {locked.get(name)}, pin {m.group(3)}"
