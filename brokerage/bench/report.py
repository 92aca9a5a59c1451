"""The result as Markdown: one table of every measured phase (ours, the raw ceiling, the
PostgreSQL variants), then the ratios and targets, the scaling figures if measured."""

from __future__ import annotations

import math
from typing import Any

HEAD = ("| run | phase | offered/s | validated/s | settled/s | p50 ms | p95 ms | p99 ms "
        "| max ms | worker CPU % | worker RSS MB | max lag |")


def _n(x: Any, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{digits}f}"


def _worker(p: dict[str, Any], prefix: str) -> tuple[str, str]:
    procs = {r: v for r, v in p.get("processes", {}).items() if r.startswith(prefix)}
    if not procs:
        return "-", "-"
    cpu = sum(v["cpu_mean_pct"] for v in procs.values())
    return _n(cpu), _n(max(v["rss_max_mb"] for v in procs.values()))


def phase_rows(run: str, phases: list[dict[str, Any]], prefix: str, settles: bool = True
               ) -> list[str]:
    out = []
    for p in phases:
        if "warm-up" in p["name"]:
            continue
        lat = p["latency"]
        cpu, rss = _worker(p, prefix)
        lag = max(p.get("lag_max", {}).values(), default=None)
        settled = _n(p["settled_per_s"]) if settles and p.get("new_trades") else "-"
        out.append(f"| {run} | {p['name']} | {_n(p['offered_per_s'])} "
                   f"| {_n(p['validated_per_s'])} | {settled} | {_n(lat['p50_ms'], 1)} "
                   f"| {_n(lat['p95_ms'], 1)} | {_n(lat['p99_ms'], 1)} | {_n(lat['max_ms'], 1)} "
                   f"| {cpu} | {rss} | {_n(lag)} |")
    return out


def pg_rows(pg: dict[str, Any]) -> list[str]:
    out = []
    for v in pg.get("variants", []):
        lat = v["latency"]
        how = "1 tx per request" if v["batch"] <= 1 else f"{v['batch']} requests per tx"
        out.append(f"| PostgreSQL | {v['connections']} conn, {how} | - | {_n(v['per_s'])} | - "
                   f"| {_n(lat['p50_ms'], 1)} | {_n(lat['p95_ms'], 1)} | {_n(lat['p99_ms'], 1)} "
                   f"| {_n(lat['max_ms'], 1)} | server {_n(v['server_cpu_cores'] * 100)} | - | - |")
    return out


def table(doc: dict[str, Any]) -> str:
    """The phase table alone (README shows one)."""
    lines = [HEAD, "|" + "---|" * 12]
    lines += phase_rows("ours", doc["ours"].get("phases", []), "worker")
    lines += phase_rows("raw ceiling", doc["ceiling"].get("phases", []), "passthrough", False)
    lines += phase_rows("topology floor", doc.get("floor", {}).get("phases", []), "floor-worker")
    lines += pg_rows(doc["postgres"])
    return "\n".join(lines)


def markdown(doc: dict[str, Any]) -> str:
    m, c, s = doc["machine"], doc["config"], doc["summary"]
    pg = doc["postgres"]
    out = [f"# brokerage bench, {doc['started_at']}", "",
           f"Code {m.get('code', '?')}; {m['cpus']} CPUs, load average {m['load_before']} "
           f"before the run; Kafka over {m.get('kafka_security', 'PLAINTEXT')}; "
           f"{c['workers']} worker(s), {c['partitions']} partitions, {c['traders']:,} traders, "
           f"closed-loop window {c['window']:,}. Mix: "
           + ", ".join(f"{k} {v:,}" for k, v in doc["mix"].items()) + ".", "",
           table(doc), "",
           *([f"Worker restarts during the run (exit 75, restarted): "
              f"{', '.join(doc['ours']['restarts'])}.", ""] if doc["ours"].get("restarts")
             else []),
           f"Ratios (closed loop): ours / raw ceiling = {_n(s['ratio_vs_ceiling'], 2)}, "
           f"ours / PostgreSQL = {_n(s['ratio_vs_postgres'], 2)} "
           f"(PostgreSQL best variant, synchronous_commit "
           f"{'on' if pg.get('synchronous_commit') else 'off'}"
           f"{'; skipped: ' + pg['skipped'] if 'skipped' in pg else ''}).", "",
           *_floor_line(s),
           "| target | measured | met |", "|---|---|---|"]
    for t in doc["targets"]:
        met = {True: "yes", False: "no", None: "not measured"}[t["met"]]
        digits = 2 if t["unit"] == "ratio" else (1 if t["unit"] == "ms" else 0)
        out.append(f"| {t['target']} | {_n(t['measured'], digits)} {t['unit']} | {met} |")
    cpu = cpu_md(doc["ours"].get("phases", []))
    if cpu:
        out += ["", cpu]
    by_hop = hops_md(doc["ours"].get("phases", []))
    if by_hop:
        out += ["", by_hop]
    if "scaling" in doc:
        out += ["", scaling_md(doc["scaling"])]
    if doc["ours"].get("profiles"):
        out += ["", profiles_md(doc["ours"]["profiles"])]
    return "\n".join(out) + "\n"


def _floor_line(s: dict[str, Any]) -> list[str]:
    if s.get("floor_per_s") is None:
        return []
    return [f"Topology floor (our topics and messages, no logic): "
            f"{_n(s['floor_per_s'])} validated/s, {_n(s.get('floor_settled_per_s'))} "
            f"settled/s; ours / floor = {_n(s['ratio_vs_floor'], 2)}.", ""]


def profiles_md(profiles: dict[str, dict[str, Any]], top: int = 8) -> str:
    """Per phase and process, the functions with the most samples in them (inclusive) and
    on top of the stack (self), in % of the process's samples (py-spy, --profile)."""
    lines = ["Where the time went (py-spy, `--profile`; % of each process's samples):"]
    for phase, roles in profiles.items():
        lines += ["", f"**{phase}**", "", "| process | samples | self | inclusive |",
                  "|---|---|---|---|"]
        for role, p in roles.items():
            if "error" in p:
                lines.append(f"| {role} | - | py-spy: {p['error']} | |")
                continue
            own = "; ".join(f"{v} {k}" for v, k in p["self"][:top])
            inner = "; ".join(f"{v} {k}" for v, k in p["inclusive"][:top])
            lines.append(f"| {role} | {p['samples']:,} | {own} | {inner} |")
    return "\n".join(lines)


CPU_ROLES = ("worker", "kafka", "connector", "exchange-sim", "sequencer")


def cpu_md(phases: list[dict[str, Any]]) -> str:
    """CPU µs per answered request, by process, from each phase's start to the next's (its
    settling included)."""
    rows = [p for p in phases if p.get("cpu_us_per_request") and "warm-up" not in p["name"]]
    if not rows:
        return ""
    out = ["| phase | CPU µs per request, all | " + " | ".join(CPU_ROLES) + " |",
           "|---|---|" + "---|" * len(CPU_ROLES)]
    for p in rows:
        c = p["cpu_us_per_request"]
        by = [sum(v for r, v in c.items() if r.startswith(role)) if any(
            r.startswith(role) for r in c) else None for role in CPU_ROLES]
        out.append(f"| {p['name']} | {_n(c.get('all'))} | " + " | ".join(_n(v) for v in by)
                   + " |")
    return "\n".join(out)


def hops_md(phases: list[dict[str, Any]]) -> str:
    """Latency by hop (bench/hops.py): p50 / p99 ms of each."""
    rows = [p for p in phases if p.get("hops") and "warm-up" not in p["name"]]
    if not rows:
        return ""
    names = list(rows[0]["hops"])
    out = ["| phase | requests | " + " | ".join(f"{h} p50 / p99 ms" for h in names) + " |",
           "|---|---|" + "---|" * len(names)]
    for p in rows:
        h = p["hops"]
        out.append(f"| {p['name']} | {_n(h[names[0]]['count'])} | " + " | ".join(
            f"{_n(h[n]['p50_ms'], 1)} / {_n(h[n]['p99_ms'], 1)}" for n in names) + " |")
    return "\n".join(out)


def scaling_md(sc: dict[str, Any]) -> str:
    out = ["| scaling run | validated/s | settled/s | p99 ms |", "|---|---|---|---|"]
    for r in sc.get("throughput", []):
        out.append(f"| {r['workers']} worker(s), {r['partitions']} partitions "
                   f"| {_n(r.get('validated_per_s'))} | {_n(r.get('settled_per_s'))} "
                   f"| {_n(r.get('p99_ms'), 1)} |" + (f" failed: {r['error']}" if "error" in r
                                                      else ""))
    out += ["", "| traders | RocksDB bytes/trader | worker RSS bytes/trader |", "|---|---|---|"]
    for r in sc.get("state", []):
        out.append(f"| {r['traders']:,} | {_n(r.get('disk_bytes_per_trader'))} "
                   f"| {_n(r.get('rss_bytes_per_trader'))} |"
                   + (f" failed: {r['error']}" if "error" in r else ""))
    return "\n".join(out)
