"""What one `brokerage bench` run does (the command line's choices, not process settings)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class BenchConfig:
    requests: int = 20_000  # the closed-loop phase (maximum sustained rate)
    rates: list[float] = field(default_factory=lambda: [1_000.0, 2_000.0, 5_000.0])
    seconds: float = 5.0  # length of each open-loop phase
    closed: bool = True
    # Closed loop: requests in flight. 2,000 capped it below the open loop's best (window /
    # latency); 8,000 keeps the worker saturated, at the cost of a long queue.
    window: int = 8_000
    # Before the measured phases, the mix at a rate the stack sustains, unmeasured: a fresh
    # broker's JVM is slow for its first ~10 s, which the first phase used to pay.
    warmup_seconds: float = 15.0
    warmup_rate: float = 300.0
    traders: int = 1_000
    workers: int = 1
    partitions: int = 8
    seed: int = 1
    linger_ms: int = 1  # the load generator's producer
    exchange_fsync: bool = False  # the venue is a stand-in for a remote exchange
    skip_ceiling: bool = False
    skip_floor: bool = False
    # The references' closed loop: its range of the mix repeated to at least this many.
    reference_requests: int = 150_000
    skip_postgres: bool = False
    pg_connections: list[int] = field(default_factory=lambda: [2, 4, 8])
    pg_batch: int = 20  # requests per pipelined transaction in the batched variant
    pg_sync_commit: bool = False
    scaling: bool = False
    drain_timeout: float = 120.0
    settle_timeout: float = 60.0
    out: Path = Path("bench-results")
    smoke: bool = False
    secure: bool = False  # our own broker as `kafka start --secure` (SASL_SSL, users, ACLs)
    profile: bool = False  # py-spy on our stack's processes through each measured phase

    @classmethod
    def smoke_run(cls, out: Path) -> BenchConfig:
        """A few seconds: every part runs once, on little data (CI)."""
        return cls(requests=600, rates=[300.0], seconds=1.0, window=200, traders=50,
                   warmup_seconds=0.0, reference_requests=1_200,
                   pg_connections=[2], pg_batch=10, drain_timeout=30.0, settle_timeout=10.0,
                   out=out, smoke=True)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        return d
