"""The PNG: throughput over time, the latency CDFs, consumer lag and CPU over time."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot(doc: dict[str, Any], path: Path) -> None:
    # Imported here: every `brokerage` process parses the whole CLI, which imports this
    # module, and matplotlib took ~0.4 s of each start (a worker's restart included).
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    fig, ((thr, cdf), (lag, cpu)) = plt.subplots(2, 2, figsize=(14, 9))
    ours = doc["ours"]
    for p in ours.get("phases", []):
        a = p["series"]["answers_per_s"]
        f = p["series"]["fills_per_s"]
        thr.plot([p["start_s"] + t for t, _ in a], [v for _, v in a], color="tab:blue")
        thr.plot([p["start_s"] + t for t, _ in f], [v for _, v in f], color="tab:green")
        thr.axvline(p["start_s"], color="grey", lw=0.5)
        thr.annotate(p["name"], (p["start_s"], 0), fontsize=7, rotation=90, va="bottom")
        if "warm-up" not in p["name"]:
            c = p["series"]["latency_cdf"]
            cdf.plot([x for x, _ in c], [y for _, y in c], label=f"ours {p['name']}")
    thr.plot([], [], color="tab:blue", label="validated requests/s")
    thr.plot([], [], color="tab:green", label="settled trades/s")
    thr.set(title="ours: throughput over time", xlabel="s", ylabel="per second")
    thr.legend(fontsize=8)
    for p in doc["ceiling"].get("phases", []):
        if "warm-up" not in p["name"]:
            c = p["series"]["latency_cdf"]
            cdf.plot([x for x, _ in c], [y for _, y in c], ls="--", label=p["name"])
    cdf.set(title="request -> response latency CDF", xlabel="ms (log)", ylabel="fraction",
            xscale="log")
    cdf.legend(fontsize=8)
    _lines(lag, ours.get("series", {}), "lag", "consumer lag (messages)")
    _lines(cpu, ours.get("series", {}), "cpu", "CPU % of one core")
    fig.suptitle(f"brokerage bench {doc['started_at']}")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _lines(ax: Any, series: dict[str, Any], key: str, title: str) -> None:
    t = series.get("t", [])
    for name, values in series.get(key, {}).items():
        pts = [(x, v) for x, v in zip(t, values, strict=False) if v is not None]
        ax.plot([x for x, _ in pts], [v for _, v in pts], label=name)
    ax.set(title=f"ours: {title}", xlabel="s")
    if series.get(key):
        ax.legend(fontsize=8)
