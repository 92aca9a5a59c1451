"""The local broker's request threads follow the machine: few on a small one, where the
services share its cores, and Kafka's own defaults from 8 cores up."""

from __future__ import annotations

from pathlib import Path

from brokerage.localkafka import props


def _threads(text: str) -> dict[str, int]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "threads=" in line)
    return {k: int(v) for k, v in pairs}


def test_threads_follow_the_cores() -> None:
    def on(cpus: int) -> dict[str, int]:
        return _threads(props.render_server(9092, 9093, Path("/tmp/x"), 8, cpus=cpus))

    assert on(1) == on(2) == {"num.network.threads": 1, "num.io.threads": 2,
                              "background.threads": 2}
    assert on(4) == {"num.network.threads": 2, "num.io.threads": 4, "background.threads": 4}
    assert on(8) == on(64) == {"num.network.threads": 3, "num.io.threads": 8,
                               "background.threads": 10}  # Kafka's defaults
