"""/metrics, /healthz and /readyz for processes without a web framework (sequencer, connector).

Meanings, as Kubernetes uses them:
- liveness (/healthz): the main loop went round within `stall_seconds`. A loop that is
  stuck will not recover by itself: restart the process.
- readiness (/readyz): the process does its work now (e.g. it has its partitions). False
  means wait or route around it, never restart.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

log = logging.getLogger("brokerage.probes")


class Heartbeat:
    """The main loop calls beat() each time round; alive while it did so recently."""

    def __init__(self, stall_seconds: float = 120.0) -> None:
        self.stall_seconds = stall_seconds
        self._last = time.monotonic()

    def beat(self) -> None:
        self._last = time.monotonic()

    def alive(self) -> bool:
        return time.monotonic() - self._last < self.stall_seconds


class ProbeServer:
    def __init__(self, host: str, port: int, alive: Callable[[], bool],
                 ready: Callable[[], bool]) -> None:
        self.alive, self.ready = alive, ready
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="probes",
                                        daemon=True)

    def start(self) -> ProbeServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        probes = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                path = self.path.split("?", 1)[0].rstrip("/")
                if path == "/metrics":
                    return self._send(200, generate_latest(), CONTENT_TYPE_LATEST)
                if path in ("/healthz", "/readyz"):
                    check = probes.alive if path == "/healthz" else probes.ready
                    ok = _safe(check)
                    key = "status" if path == "/healthz" else "ready"
                    body = {key: ("ok" if ok else "stalled") if key == "status" else ok}
                    return self._send(200 if ok else 503, json.dumps(body).encode(),
                                      "application/json")
                self._send(404, b'{"error":"not found"}', "application/json")

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # scrapes every few seconds are not worth a log line

        return Handler


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:
        return False


def serve(host: str, port: int, alive: Callable[[], bool],
          ready: Callable[[], bool]) -> ProbeServer | None:
    """Start the probe server; a port in use is logged, not fatal (the work matters more)."""
    try:
        return ProbeServer(host, port, alive, ready).start()
    except OSError as exc:
        log.error("cannot serve /metrics and probes on %s:%d: %s", host, port, exc)
        return None
