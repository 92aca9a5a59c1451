"""The demo's last table: a trader's statement for today from the PostgreSQL read model
(the sink replays the input log into it), when the stack has one."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from rich.console import Console
from rich.table import Table

from brokerage.config import Settings
from brokerage.localpg.binaries import installed


def postgres_available(settings: Settings) -> bool:
    """A configured database, or Debian's server binaries to start a local one."""
    return settings.postgres_dsn is not None or installed()


def print_statement(console: Console, http: httpx.Client, trader: str, fills: int,
                    timeout: float = 30) -> None:
    """Wait (bounded) until the read model holds the trader's `fills`, then print it."""
    if "/v1/traders/{trader_id}/statement" not in http.get("/openapi.json").json()["paths"]:
        console.print("(no PostgreSQL read model in this stack: install Debian's "
                      "`postgresql` to see statements)")
        return
    day = datetime.now(UTC).date().isoformat()
    deadline = time.monotonic() + timeout
    while True:
        r = http.get(f"/v1/traders/{trader}/statement", params={"date": day})
        if r.status_code == 200 and len(r.json()["fills"]) >= fills:
            break
        if time.monotonic() > deadline:
            console.print(f"(the read model had not caught up within {timeout:.0f} s)")
            return
        time.sleep(0.5)
    st = r.json()
    table = Table(title=f"Statement of {trader} for {st['date']} (PostgreSQL read model)")
    for col in ("movement", "cause", "cash", "shares"):
        table.add_column(col)
    for m in st["movements"]:
        shares = f"{m['shares']} {m['symbol']}" if "shares" in m else ""
        table.add_row(m["kind"], m["cause"][:40], m.get("amount", ""), shares)
    for f in st["fills"]:
        sign = -1 if f["side"] == "BUY" else 1
        cash = sign * f["quantity"] * Decimal(f["price"]) - Decimal(f["fee"])
        table.add_row(f"FILL {f['side']}", f"{f['trade_id'][:28]} @ {f['price']}",
                      f"{cash:.2f} (fee {f['fee']})", f"{-sign * f['quantity']} {f['symbol']}")
    close = st["closing"]["cash"]
    table.add_row("closing", "", f"{close['available']} + {close['blocked']} blocked", "")
    console.print(table)
