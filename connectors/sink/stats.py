"""What the sink has stored, and how fast: the time counted is the time spent in batches."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Stats:
    inputs: int = 0
    rows: int = 0
    batches: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        rate = self.seconds and self.inputs / self.seconds
        rows = self.seconds and self.rows / self.seconds
        return (f"{self.inputs} inputs, {self.rows} rows in {self.batches} batches, "
                f"{self.seconds:.2f} s: {rate:.0f} inputs/s, {rows:.0f} rows/s")
