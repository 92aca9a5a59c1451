"""The result document: every figure of the run, the headline summary, both ratios and the
targets of issue 8 with met / not met. Pure; the writers turn it into JSON and Markdown."""

from __future__ import annotations

import math
from typing import Any

SCHEMA_VERSION = 1
# Keys every complete result has (the CI smoke test checks them).
REQUIRED = ("schema_version", "started_at", "machine", "config", "mix", "ours", "ceiling",
            "postgres", "summary", "targets")


def _closed(run: dict[str, Any] | None) -> dict[str, Any] | None:
    """The run's maximum-rate phase: its closed loop, else its fastest phase."""
    phases = [p for p in (run or {}).get("phases", []) if "warm-up" not in p["name"]]
    closed = [p for p in phases if p["mode"] == "closed"]
    if closed:
        return closed[-1]
    return max(phases, key=lambda p: p["validated_per_s"], default=None)


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def summary(ours: dict[str, Any], ceiling: dict[str, Any], postgres: dict[str, Any]
            ) -> dict[str, Any]:
    top, raw = _closed(ours), _closed(ceiling)
    pg_best = (postgres.get("best") or {}).get("per_s")
    validated = top["validated_per_s"] if top else None
    p99 = {str(int(p["offered_per_s"])): p["latency"]["p99_ms"]
           for p in ours.get("phases", []) if p["mode"] == "open" and "warm-up" not in p["name"]}
    return {
        "validated_per_s": validated,
        "settled_per_s": top["settled_per_s"] if top else None,
        "closed_loop_p99_ms": top["latency"]["p99_ms"] if top else None,
        "p99_ms_by_rate": p99,
        "ceiling_per_s": raw["validated_per_s"] if raw else None,
        "postgres_per_s": pg_best,
        "ratio_vs_ceiling": _ratio(validated, raw["validated_per_s"] if raw else None),
        "ratio_vs_postgres": _ratio(validated, pg_best),
    }


def targets(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 8's targets; `met` is None where the run did not measure it."""
    def row(name: str, value: float | None, ok: bool | None, unit: str) -> dict[str, Any]:
        present = value is not None and not (isinstance(value, float) and math.isnan(value))
        return {"target": name, "measured": value if present else None, "unit": unit,
                "met": ok if present else None}

    v, st = s["validated_per_s"], s["settled_per_s"]
    p99 = s["p99_ms_by_rate"].get("5000")
    rc, rp = s["ratio_vs_ceiling"], s["ratio_vs_postgres"]
    return [
        row(">= 20,000 validated requests/s", v, v is not None and v >= 20_000, "req/s"),
        row(">= 10,000 settled trades/s", st, st is not None and st >= 10_000, "trades/s"),
        row("p99 request->response < 25 ms at 5,000 req/s", p99,
            p99 is not None and p99 < 25, "ms"),
        row(">= 50 % of the raw ceiling", rc, rc is not None and rc >= 0.5, "ratio"),
        row(">= 3x the PostgreSQL baseline", rp, rp is not None and rp >= 3, "ratio"),
    ]


def document(started_at: str, machine: dict[str, Any], config: dict[str, Any],
             mix: dict[str, int], ours: dict[str, Any], ceiling: dict[str, Any],
             postgres: dict[str, Any], scaling: dict[str, Any] | None = None,
             floor: dict[str, Any] | None = None) -> dict[str, Any]:
    s = summary(ours, ceiling, postgres)
    top = _closed(floor)
    s["floor_per_s"] = top["validated_per_s"] if top else None
    s["floor_settled_per_s"] = top["settled_per_s"] if top else None
    s["ratio_vs_floor"] = _ratio(s["validated_per_s"], s["floor_per_s"])
    doc = {"schema_version": SCHEMA_VERSION, "started_at": started_at, "machine": machine,
           "config": config, "mix": mix, "ours": ours, "ceiling": ceiling,
           "postgres": postgres, "summary": s, "targets": targets(s)}
    if scaling is not None:
        doc["scaling"] = scaling
    if floor is not None:
        doc["floor"] = floor
    return doc


def missing(doc: dict[str, Any]) -> list[str]:
    """What a complete result lacks (empty: complete)."""
    gone = [k for k in REQUIRED if k not in doc]
    if not gone and not doc["ours"].get("phases"):
        gone.append("ours.phases")
    return gone
