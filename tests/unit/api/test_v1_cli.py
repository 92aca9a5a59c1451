"""The CLI against the API: `brokerage token issue` (run as the installed command would run,
in its own process) prints a token the API's auth accepts with that trader and those scopes;
`brokerage trade` prints a 202 (published, or accepted but not readable yet) as one line
saying where to look, not as a trade."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

import httpx
import pytest
from fastapi.testclient import TestClient

from api import auth
from brokerage.entrypoints.trade_client import done
from brokerage.entrypoints.trade_view import show_trade
from tests.unit.api.v1_fakes import SETTINGS, Tables, app, state

SECRET = SETTINGS.auth_secret.get_secret_value()


def issued(*argv: str) -> str:
    env = {**os.environ, "BROKERAGE_AUTH_SECRET": SECRET}
    out = subprocess.run([sys.executable, "-m", "brokerage.cli", "token", "issue", *argv],
                         env=env, capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.strip()


@pytest.mark.parametrize(("argv", "scopes"), [
    ((), {"trade"}), (("--scope", "admin"), {"trade", "admin"}),
    (("--scope", "trade"), {"trade"})])
def test_token_issue_is_accepted_with_its_trader_and_scopes(argv: tuple[str, ...],
                                                             scopes: set[str]) -> None:
    token = issued("--trader", "alice", *argv)
    who = auth.verify(SECRET, f"Bearer {token}")
    assert (who.trader_id, who.scopes) == ("alice", frozenset(scopes))
    # ... and by the API: its own wallet; another's, and deposits, only as admin.
    http = TestClient(app(Tables(state("alice"), state("bob"))),
                      headers={"Authorization": f"Bearer {token}"})
    assert http.get("/v1/traders/alice/wallet").status_code == 200
    expected = 200 if "admin" in scopes else 403
    assert http.get("/v1/traders/bob/wallet").status_code == expected
    deposit = http.post("/v1/traders/bob/deposits", json={"amount": "1.00"})
    assert deposit.status_code == (201 if "admin" in scopes else 403), deposit.text


@pytest.mark.parametrize(("body", "line"), [
    ({"status": "PENDING", "request_id": "r1", "status_url": "/v1/trades/alice.0123456789abcdef"},
     "PENDING: request r1 was published; no answer yet; later: brokerage trade status "
     "alice.0123456789abcdef"),
    ({"status": "ACCEPTED", "request_id": "r2", "status_url": "/v1/traders/alice/wallet"},
     "ACCEPTED: request r2 was accepted; its state could not be read yet; later: GET "
     "/v1/traders/alice/wallet"),
])
def test_the_cli_prints_a_202_as_where_to_look(body: dict[str, str], line: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    r = httpx.Response(202, json=body, headers={"Location": body["status_url"]})
    assert done(argparse.Namespace(json=False), r, show_trade) == 0
    assert capsys.readouterr().out.strip() == line
