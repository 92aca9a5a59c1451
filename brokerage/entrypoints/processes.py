"""Child processes of the local stack, one per role, each restartable (tests kill them)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

from brokerage.config import Settings
from brokerage.security.clientconf import service_env  # each service as its own Kafka user

# A worker asking to be started again (streams.continuity, not imported here: it loads
# faust, ~0.3 s of the start of every process that only supervises).
RESTART_EXIT_CODE = 75

# Off the critical path's CPU: on one host they yield a core to the worker and the broker.
HELPERS = frozenset({"exchange-sim", "connector", "sequencer"})


@dataclass
class Processes:
    settings: Settings  # with kafka_bootstrap_servers resolved
    log_dir: str | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _logs: list[IO[bytes]] = field(default_factory=list)
    _args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _began: dict[str, tuple[float, int]] = field(default_factory=dict)  # monotonic, log offset
    restarts: list[str] = field(default_factory=list)
    _lock: threading.RLock = field(default_factory=threading.RLock)  # chaos kills from a thread

    def start(self, role: str, *args: str) -> subprocess.Popen[bytes]:
        """Start `brokerage <role> <args>`; `role` names it (e.g. "worker-1")."""
        command = role.split("-")[0] if role.startswith("worker") else role
        out = None
        if self.log_dir:
            out = open(os.path.join(self.log_dir, f"{role}.log"), "ab")  # noqa: SIM115
            self._logs.append(out)
        self._began[role] = (time.monotonic(), out.tell() if out else 0)
        env = service_env({**os.environ, **self.settings.to_env()}, command, self.settings)
        if command in HELPERS:
            env["BROKERAGE_NICE"] = str(self.settings.stack_helper_nice)
        p = subprocess.Popen([sys.executable, "-m", "brokerage.cli", command, *args], env=env,
                             stdout=out, stderr=subprocess.STDOUT if out else None)
        self.procs[role] = p
        self._args[role] = args
        return p

    def kill(self, role: str, sig: int = signal.SIGKILL) -> None:
        p = self.procs[role]
        p.send_signal(sig)
        p.wait(30)

    def kill_and_start(self, role: str, sig: int = signal.SIGKILL) -> None:
        with self._lock:
            self.kill(role, sig)
            self.start(role, *self._args[role])

    def check(self) -> None:
        """Raise if a child died, but start again one that asked for it."""
        with self._lock:
            self.restart_asked()
            for role, p in self.procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{role} exited with {p.returncode}{self._why(role)}")

    def _why(self, role: str) -> str:
        """How long the child ran and the end of what it wrote: a failure message that
        stands alone (a CI run once showed an exit 1 and an empty log)."""
        began, offset = self._began[role]
        text = f" after {time.monotonic() - began:.1f} s"
        if self.log_dir:
            try:
                with open(os.path.join(self.log_dir, f"{role}.log"), "rb") as f:
                    f.seek(offset)
                    tail = f.read()[-2_000:].decode("utf-8", "replace").strip()
            except OSError as exc:  # the exit is the news; its log is a bonus
                return f"{text}; its log: {exc}"
            text += f"; its log since it started: {tail!r}" if tail else "; it wrote nothing"
        return text

    def restart_asked(self) -> None:
        """Start again the children that exited asking for it; leave any other exit alone
        (tests kill children on purpose)."""
        with self._lock:
            for role, p in list(self.procs.items()):
                if p.poll() == RESTART_EXIT_CODE:
                    self.restarts.append(role)
                    self.start(role, *self._args[role])

    def supervise(self, done: threading.Event, every: float = 0.5) -> threading.Thread:
        def loop() -> None:
            while not done.wait(every):
                self.restart_asked()

        t = threading.Thread(target=loop, name="supervisor", daemon=True)
        t.start()
        return t

    def stop_all(self) -> None:
        for p in reversed(list(self.procs.values())):
            terminate(p)
        for f in self._logs:
            f.close()


def terminate(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(5)
