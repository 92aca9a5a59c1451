"""`brokerage token issue`: API bearer tokens for local use, signed with the settings' key."""

from __future__ import annotations

import argparse
from typing import Any

from api import auth
from brokerage.config import Settings


def issue(settings: Settings, trader_id: str, admin: bool = False) -> str:
    scopes = {"trade", "admin"} if admin else {"trade"}
    return auth.issue(settings.auth_secret.get_secret_value(), trader_id, scopes,
                      settings.auth_token_ttl_seconds)


def bearer(settings: Settings, trader_id: str, admin: bool = False) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue(settings, trader_id, admin)}"}


def run(args: argparse.Namespace, s: Settings) -> int:
    print(issue(s, args.trader, admin="admin" in (args.scope or [])))
    return 0


def add_parser(sub: Any) -> None:
    t = sub.add_parser("token", help="issue an API bearer token (local use)")
    t.add_argument("action", choices=["issue"])
    t.add_argument("--trader", required=True)
    t.add_argument("--scope", action="append", choices=["trade", "admin"])
    t.set_defaults(fn=run)
