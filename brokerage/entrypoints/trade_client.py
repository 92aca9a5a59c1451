"""`brokerage trade`'s calls to the HTTP API, and how it reports their answers."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import httpx

from brokerage.config import Settings

from . import tokens
from .trade_view import console

TOKEN_ENV = "BROKERAGE_API_TOKEN"


def client(args: argparse.Namespace, s: Settings, trader_id: str) -> httpx.Client:
    url = args.url or f"http://{s.api_host}:{s.api_port}"
    token = args.token or os.environ.get(TOKEN_ENV) or tokens.issue(s, trader_id)
    return httpx.Client(base_url=url, timeout=args.timeout,
                        headers={"Authorization": f"Bearer {token}"})


def call(args: argparse.Namespace, s: Settings, trader_id: str, method: str, path: str,
         **kwargs: Any) -> httpx.Response:
    with client(args, s, trader_id) as c:
        try:
            return c.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RuntimeError(f"cannot reach the API at {c.base_url}: {exc}") from exc


def failed(r: httpx.Response) -> int:
    """Print the API's error (code and message) to stderr; the exit code for it."""
    try:
        err = r.json()["error"]
        code, message, details = err["code"], err["message"], err.get("details")
    except (ValueError, KeyError, TypeError):
        code, message, details = "error", r.text[:500] or r.reason_phrase, None
    print(f"error {code} (HTTP {r.status_code}): {message}", file=sys.stderr)
    if isinstance(details, list):  # field errors of a malformed request
        for d in details:
            print(f"  {'.'.join(map(str, d.get('loc', [])))}: {d.get('msg', '')}",
                  file=sys.stderr)
    if r.status_code == 429 and "retry-after" in r.headers:
        print(f"  retry after {r.headers['retry-after']} s", file=sys.stderr)
    return 1


def done(args: argparse.Namespace, r: httpx.Response, show: Any) -> int:
    if r.status_code >= 400:
        return failed(r)
    body = r.json()
    if args.json:
        print(json.dumps(body, indent=2, sort_keys=True))
    elif r.status_code == 202:
        console().print(accepted_later(body))
    else:
        show(body)
    return 0


def accepted_later(body: dict[str, Any]) -> str:
    """A 202's line: the request is in, its outcome is to be read at the status URL."""
    what = ("accepted; its state could not be read yet" if body.get("status") == "ACCEPTED"
            else "published; no answer yet")
    url = str(body.get("status_url", "?"))
    then = f"brokerage trade status {url.rsplit('/', 1)[1]}" if url.startswith(
        "/v1/trades/") else f"GET {url}"
    return (f"{body.get('status', 'PENDING')}: request {body.get('request_id', '?')} was "
            f"{what}; later: {then}")


def idempotency(args: argparse.Namespace) -> dict[str, str]:
    return {"Idempotency-Key": args.key} if args.key else {}
