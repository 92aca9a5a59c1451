"""Resolve a Kafka broker's jars from Maven Central into a local cache (no tarball, no Docker)."""

from __future__ import annotations

import fcntl
import hashlib
import re
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

MIN_JAVA = 17
_MARKER = ".complete"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class MissingToolError(RuntimeError):
    """A required external tool (java, mvn) is absent or too old."""


class FetchError(RuntimeError):
    """Maven could not resolve the Kafka jars."""


def java_major_version(java: str = "java") -> int:
    # `java -version` prints to stderr: 'openjdk version "17.0.15"' or '"1.8.0_392"'.
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def check_java() -> str:
    java = shutil.which("java")
    hint = "install OpenJDK 17 (apt-get install openjdk-17-jre-headless)"
    if java is None:
        raise MissingToolError(f"Java {MIN_JAVA}+ is required: {hint}")
    found = java_major_version(java)
    if found < MIN_JAVA:
        raise MissingToolError(f"Java {MIN_JAVA}+ is required (found {found} at {java}): {hint}")
    return java


def check_maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingToolError("Maven is required: apt-get install maven")
    return mvn


def _pom_text() -> str:
    return files("brokerage.localkafka").joinpath("pom.xml").read_text(encoding="utf-8")


def ensure_kafka_jars(version: str, cache_dir: Path) -> Path:
    """Return a directory holding every jar needed for kafka.Kafka and kafka.tools.StorageTool."""
    check_java()
    root = cache_dir.expanduser().resolve() / version  # absolute: the broker runs elsewhere
    libs = root / "libs"
    pom = _pom_text()
    # The marker records the pom it was built from, so editing the pom refetches.
    stamp = hashlib.sha256(pom.encode()).hexdigest()
    marker = root / _MARKER
    if _is_complete(marker, stamp):
        return libs
    mvn = check_maven()
    root.mkdir(parents=True, exist_ok=True)
    # A lock so parallel test sessions don't run Maven into the same directory.
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _is_complete(marker, stamp):
            return libs
        shutil.rmtree(libs, ignore_errors=True)
        (root / "pom.xml").write_text(pom, encoding="utf-8")
        cmd = [
            mvn, "-q", "-B", "-U", "-f", str(root / "pom.xml"), f"-Dkafka.version={version}",
            "dependency:copy-dependencies", f"-DoutputDirectory={libs}",
        ]  # fmt: skip
        proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        jars = list(libs.glob("kafka_2.13-*.jar")) if libs.is_dir() else []
        if proc.returncode != 0 or not jars:
            tail = _maven_errors(proc.stdout + proc.stderr)
            code = proc.returncode
            raise FetchError(f"mvn failed to fetch Kafka {version} (exit {code}):\n{tail}")
        marker.write_text(stamp, encoding="utf-8")
    return libs


def _is_complete(marker: Path, stamp: str) -> bool:
    try:
        return marker.read_text(encoding="utf-8").strip() == stamp
    except OSError:
        return False


def _maven_errors(output: str) -> str:
    # Maven prints the real errors first, then a bare "[ERROR]" line and generic advice.
    lines = [_ANSI.sub("", line).strip() for line in output.splitlines()]
    errors = [line for line in lines if line.startswith("[ERROR]")]
    cut = errors.index("[ERROR]") if "[ERROR]" in errors else len(errors)
    return "\n".join(errors[:cut] or lines[-20:])
