"""The probe server of the sequencer and connector: /metrics, and liveness and readiness with
the meanings Kubernetes gives them."""

from __future__ import annotations

import httpx

from brokerage.observability.probes import Heartbeat, serve


def test_metrics_liveness_and_readiness() -> None:
    beat, ready = Heartbeat(stall_seconds=60), [False]
    probes = serve("127.0.0.1", 0, beat.alive, lambda: ready[0])
    assert probes is not None
    url = f"http://127.0.0.1:{probes.port}"
    try:
        assert "python_info" in httpx.get(f"{url}/metrics").text
        assert httpx.get(f"{url}/healthz").status_code == 200
        r = httpx.get(f"{url}/readyz")
        assert r.status_code == 503 and r.json() == {"ready": False}
        ready[0] = True
        assert httpx.get(f"{url}/readyz/").status_code == 200
        beat.stall_seconds = 0  # the loop has not gone round since: stuck
        assert httpx.get(f"{url}/healthz").status_code == 503
        assert httpx.get(f"{url}/nothing").status_code == 404
    finally:
        probes.close()


def test_a_port_in_use_is_logged_not_fatal() -> None:
    first = serve("127.0.0.1", 0, lambda: True, lambda: True)
    assert first is not None
    try:
        assert serve("127.0.0.1", first.port, lambda: True, lambda: True) is None
    finally:
        first.close()


def test_a_failing_check_answers_not_ready() -> None:
    def broken() -> bool:
        raise RuntimeError("no broker")

    probes = serve("127.0.0.1", 0, lambda: True, broken)
    assert probes is not None
    try:
        assert httpx.get(f"http://127.0.0.1:{probes.port}/readyz").status_code == 503
    finally:
        probes.close()
