"""TLS for HTTP: the API's HTTPS and the workers' web port. Clients (API, connector, other
workers' table routing) trust a private CA through SSL_CERT_FILE, which httpx and aiohttp
both honour."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brokerage.config import Settings


def worker_ssl_context(s: Settings) -> ssl.SSLContext | None:
    """Server context for a worker's web port, or None for plain HTTP."""
    if s.worker_ssl_certfile is None:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(s.worker_ssl_certfile),
                        str(s.worker_ssl_keyfile) if s.worker_ssl_keyfile else None)
    return ctx


def uvicorn_ssl(s: Settings) -> dict[str, Any]:
    """uvicorn.run keyword arguments: HTTPS when given a certificate, and WebSocket messages
    (the Alpaca stream) capped like HTTP bodies (uvicorn's default is 16 MiB)."""
    opts: dict[str, Any] = {"ws_max_size": s.api_max_body_bytes}
    if s.api_ssl_certfile is None:
        return opts
    if s.api_ssl_keyfile is None:
        raise RuntimeError("BROKERAGE_API_SSL_CERTFILE needs BROKERAGE_API_SSL_KEYFILE")
    return {**opts, "ssl_certfile": str(s.api_ssl_certfile),
            "ssl_keyfile": str(s.api_ssl_keyfile)}

