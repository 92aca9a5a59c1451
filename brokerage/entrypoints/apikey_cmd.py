"""`brokerage apikey create --trader T [--admin]` / `apikey revoke KEY_ID`: API keys for the
Alpaca-compatible API (/v2). The secret is printed once and stored only as a hash."""

from __future__ import annotations

import argparse
import json
from typing import Any

from brokerage.config import Settings
from brokerage.entrypoints.bootstrap import resolve


def create(settings: Settings, trader_id: str, admin: bool = False) -> tuple[str, str]:
    """Issue and store a key; (key id, secret)."""
    # Imported here, not at the top: every `brokerage` process parses the whole CLI, and
    # the Alpaca API's modules took ~0.3 s of each start.
    from api.alpaca import keys
    from api.alpaca.keystore import ensure_topic, publish

    key_id, secret, rec = keys.new_key(trader_id, {"trade", "admin"} if admin else {"trade"})
    bootstrap = resolve(settings)
    ensure_topic(bootstrap, settings.topic_api_keys, settings.partitions)
    publish(bootstrap, settings.topic_api_keys, key_id, rec)
    return key_id, secret


def run(args: argparse.Namespace, s: Settings) -> int:
    if args.action == "revoke":
        from api.alpaca.keystore import ensure_topic, publish

        bootstrap = resolve(s)
        ensure_topic(bootstrap, s.topic_api_keys, s.partitions)
        publish(bootstrap, s.topic_api_keys, args.key_id, None)
        print(f"revoked {args.key_id}")
        return 0
    key_id, secret = create(s, args.trader, args.admin)
    if args.json:
        print(json.dumps({"key_id": key_id, "secret_key": secret, "trader_id": args.trader}))
    else:
        print(f"APCA-API-KEY-ID:     {key_id}\nAPCA-API-SECRET-KEY: {secret}\n"
              "(the secret is shown only now; only its hash is stored)")
    return 0


def add_parser(sub: Any) -> None:
    k = sub.add_parser("apikey", help="API keys for the Alpaca-compatible API (/v2)")
    actions = k.add_subparsers(dest="action", required=True)
    c = actions.add_parser("create", help="issue a key for a trader; prints the secret once")
    c.add_argument("--trader", required=True)
    c.add_argument("--admin", action="store_true", help="also the admin scope")
    c.add_argument("--json", action="store_true")
    r = actions.add_parser("revoke", help="revoke a key (a tombstone on the keys topic)")
    r.add_argument("key_id")
    for p in (c, r):
        p.set_defaults(fn=run)
