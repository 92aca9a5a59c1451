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
    """uvicorn.run keyword arguments for HTTPS on the API; empty for plain HTTP."""
    if s.api_ssl_certfile is None:
        return {}
    if s.api_ssl_keyfile is None:
        raise RuntimeError("BROKERAGE_API_SSL_CERTFILE needs BROKERAGE_API_SSL_KEYFILE")
    return {"ssl_certfile": str(s.api_ssl_certfile), "ssl_keyfile": str(s.api_ssl_keyfile)}

