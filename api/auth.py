"""Bearer tokens: JWT signed with HMAC-SHA256, carrying a trader id and scopes."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from .errors import ApiError

ALGORITHM = "HS256"
SCOPES = frozenset({"trade", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    trader_id: str
    scopes: frozenset[str]

    @property
    def admin(self) -> bool:
        return "admin" in self.scopes

    def require_trader(self, trader_id: str) -> None:
        """A trader acts only on their own account; admins on any."""
        if not self.admin and trader_id != self.trader_id:
            raise ApiError(403, "forbidden", "this token is not for that trader")

    def require_admin(self) -> None:
        if not self.admin:
            raise ApiError(403, "forbidden", "admin scope required")


def issue(secret: str, trader_id: str, scopes: set[str], ttl_seconds: int) -> str:
    unknown = scopes - SCOPES
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")
    now = int(time.time())
    claims = {"sub": trader_id, "scope": " ".join(sorted(scopes)), "iat": now,
              "exp": now + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(secret: str, authorization: str | None) -> Principal:
    if not authorization or not authorization.startswith("Bearer "):
        raise ApiError(401, "unauthorized", "a bearer token is required")
    try:
        claims = jwt.decode(authorization[7:], secret, algorithms=[ALGORITHM],
                            options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise ApiError(401, "unauthorized", f"invalid token: {exc}") from exc
    scopes = frozenset(str(claims.get("scope", "")).split()) & SCOPES
    return Principal(str(claims["sub"]), scopes)
