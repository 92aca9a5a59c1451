"""Secrets and tokens never reach a log line: known secret values, bearer tokens, JWTs,
passwords in URLs and `password=`-style pairs are replaced before a line is written."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
_PATTERNS = [
    # Authorization: Bearer <token> / Basic <credentials>
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    # a JWT anywhere (header.payload.signature, base64url)
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+"), MASK),
    # scheme://user:password@host
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@", re.I), r"\1" + MASK + "@"),
    # password=..., "secret": "...", api_key: ..., sasl.password=...
    (re.compile(r"(?i)\b([\w.-]*(?:password|passwd|secret|token|api[_-]?key)[\w-]*[\"']?\s*[:=]\s*"
                r"[\"']?)([^\s\"',&;}]+)"), r"\1" + MASK),
]
# Every pattern above needs one of these words: most lines have none and skip the patterns
# (a log line per event must stay cheap).
_TRIGGER = re.compile(r"(?i)bearer|basic|eyJ|://|passw|secret|token|api[_-]?key")
# The same words for ASCII text, found with `in` on the lowered line: ~5x faster than the
# regex (4-7 µs a line was ~6 % of the connector's CPU). Other text takes the regex, whose
# case-insensitivity also matches some non-ASCII letters (the Kelvin sign for k...).
_WORDS = ("bearer", "basic", "eyj", "://", "passw", "secret", "token", "apikey", "api_key",
          "api-key")
_secrets: set[str] = set()


def register(values: Iterable[str | None]) -> None:
    """Values that must never be printed (the API's signing key, passwords...)."""
    for v in values:
        if v and len(v) >= 4:  # a tiny value would mask ordinary words
            _secrets.add(v)


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    if not triggered(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def triggered(text: str) -> bool:
    """Whether `text` holds a word some pattern needs (`_TRIGGER`'s answer)."""
    if not text.isascii():
        return _TRIGGER.search(text) is not None
    low = text.lower()
    for word in _WORDS:
        if word in low:
            return True
    return False
