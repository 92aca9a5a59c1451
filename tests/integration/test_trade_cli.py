"""Scenario: a trader uses the `brokerage trade` command line against a running stack (real
broker, worker, exchange and API): buys with an idempotency key and retries it, amends (DAY
to GTC; to IOC is refused), cancels, buys and sells at the market, reads the trade, the list
and the wallet; then overreaches, uses someone else's token, a bad token and an API that is
not there. We expect readable tables with the status, fills, fees and blocked amounts, the
same trade for the retry, exit code 0 for what the API accepted and 1 with the error code
and message for every reject or error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from brokerage.cli import main
from brokerage.entrypoints.tokens import issue
from brokerage.localkafka import free_port
from tests.integration.conftest import Stack, trader
from tests.integration.helpers import trade, until, wait_status

pytestmark = pytest.mark.integration


def test_trade_cli_end_to_end(running_stack: Stack, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    s = running_stack
    monkeypatch.delenv("BROKERAGE_API_TOKEN", raising=False)
    t = trader()
    assert s.deposit(t, amount="10000.00").status_code == 201

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(["trade", *argv, "--url", s.url])
        out, err = capsys.readouterr()
        return code, out, err

    def run_json(*argv: str) -> dict[str, Any]:
        code, out, err = run(*argv, "--json")
        assert code == 0, err
        body: dict[str, Any] = json.loads(out)
        return body

    # Buy with a key; the retry with the same key is the same trade, blocked once.
    booked = run_json("buy", "--trader", t, "AAPL", "10", "--limit", "100.00", "--key", "k1")
    tid = booked["trade_id"]
    assert tid.startswith(f"{t}.") and booked["status"] in {"PENDING_NEW", "NEW"}
    assert run_json("buy", "--trader", t, "AAPL", "10", "--limit", "100.00",
                    "--key", "k1")["trade_id"] == tid
    wait_status(s, tid, "NEW")

    code, out, _ = run("status", tid)
    assert code == 0
    for text in (f"trade {tid}", "status", "NEW", "BUY 10 AAPL LIMIT DAY", "100.00",
                 "0 of 10", "blocked cash", "1001.00", "k1"):
        assert text in out, out

    code, out, _ = run("wallet", "--trader", t)
    assert code == 0 and f"wallet {t}" in out
    assert "8999.00" in out and "1001.00" in out, out

    # Amend, then cancel: tables of the answers, then the settled status.
    code, out, _ = run("amend", tid, "--qty", "20", "--limit", "99.00", "--tif", "gtc")
    assert code == 0 and f"trade {tid}" in out, out
    until(lambda: (x := trade(s, tid))["status"] == "NEW" and x["quantity"] == 20
          and x["time_in_force"] == "GTC", "the amend")
    code, out, _ = run("status", tid)
    assert "0 of 20" in out and "99.00" in out and "1981.00" in out, out  # 1980 + 1.00 fee
    assert "BUY 20 AAPL LIMIT GTC" in out, out
    code, _, err = run("amend", tid, "--tif", "ioc")
    assert code == 1 and "INVALID_TIME_IN_FORCE" in err, err
    code, out, _ = run("cancel", tid)
    assert code == 0 and f"trade {tid}" in out, out
    wait_status(s, tid, "CANCELED")
    code, out, _ = run("status", tid)
    assert code == 0 and "CANCELED" in out and "blocked cash" in out, out

    # A buy that fills at the market maker shows its fills and fees; then a market sell.
    bought = run_json("buy", "--trader", t, "AAPL", "2", "--limit", "195.00", "--tif", "IOC")
    wait_status(s, bought["trade_id"], "FILLED")
    code, out, _ = run("status", bought["trade_id"])
    assert code == 0 and "FILLED" in out and "2 of 2" in out and "fills" in out, out
    assert "exec id" in out and "fees" in out, out
    sold = run_json("sell", "--trader", t, "AAPL", "1", "--market")
    assert sold["order_type"] == "MARKET" and sold["limit_price"] is None
    wait_status(s, sold["trade_id"], "FILLED")

    code, out, _ = run("list", "--trader", t)
    assert code == 0 and f"trades of {t}" in out
    assert out.index(sold["trade_id"]) < out.index(bought["trade_id"]) < out.index(tid), out
    code, out, _ = run("list", "--trader", t, "--status", "CANCELED")
    assert tid in out and bought["trade_id"] not in out, out
    code, out, _ = run("wallet", "--trader", t)
    assert "AAPL" in out and "totals" in out, out

    # Rejects and errors: exit code 1, the API's error code and message on stderr.
    code, out, err = run("buy", "--trader", t, "MSFT", "1000", "--limit", "410.00")
    assert code == 1 and "error INSUFFICIENT_FUNDS (HTTP 422)" in err, err
    code, _, err = run("buy", "--trader", t, "ZZZZ", "1", "--limit", "1.00")
    assert code == 1 and "UNKNOWN_SYMBOL" in err, err
    code, _, err = run("status", f"{t}.0000000000000000")
    assert code == 1 and "error not_found (HTTP 404)" in err, err
    code, _, err = run("buy", "--trader", t, "AAPL", "1", "--limit", "1.001")
    assert code == 1 and "INVALID_PRICE" in err, err
    code, _, err = run("amend", tid)
    assert code == 1 and "give --qty, --limit and/or --tif" in err, err
    code, _, err = run("amend", tid, "--qty", "5")
    assert code == 1 and "TRADE_NOT_OPEN" in err, err
    other = issue(s.settings, trader())
    code, _, err = run("wallet", "--trader", t, "--token", other)
    assert code == 1 and "error forbidden (HTTP 403)" in err, err
    monkeypatch.setenv("BROKERAGE_API_TOKEN", "not-a-token")
    code, _, err = run("wallet", "--trader", t)
    assert code == 1 and "error unauthorized (HTTP 401)" in err, err
    monkeypatch.delenv("BROKERAGE_API_TOKEN")
    code = main(["trade", "wallet", "--trader", t, "--url", f"http://127.0.0.1:{free_port()}"])
    assert code == 1 and "cannot reach the API" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # argparse: a price or --market is required
        main(["trade", "buy", "--trader", t, "AAPL", "1", "--url", s.url])
    assert usage.value.code == 2
