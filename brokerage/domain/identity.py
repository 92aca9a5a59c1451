"""A request's identity for idempotency: a hash of its body, not of when it arrived.

The body is the request's dataclass `repr` with `at_ms=0`, the form states have stored since
the first release, so it must stay byte for byte what `repr(evolve(req, at_ms=0))` gives
(`reference_body`, tested on every request class). It is built by one generated function per
class: the dataclass `repr` guards against recursion and formats enums in Python, ~3× the
cost, once per request."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable
from typing import Any

from .events import AmendTrade, Request
from .records import evolve
from .types import OrderType, Side, TimeInForce

_TYPES = (Side, OrderType, TimeInForce)
_ENUMS: dict[Any, str] = {m: repr(m) for e in _TYPES for m in e}
_bodies: dict[type, Callable[[Any], str]] = {}


def fingerprint(req: Request) -> str:
    """An amend's time in force is appended only when set: amends from before it existed
    keep theirs."""
    body = (_bodies.get(type(req)) or _make(type(req)))(req)
    if isinstance(req, AmendTrade) and req.time_in_force is not None:
        body += f"+time_in_force={req.time_in_force.value}"
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def reference_body(req: Request) -> str:
    return repr(evolve(req, at_ms=0))


def _r(v: Any) -> str:
    """`repr(v)`, our enums' from a table (an enum's `repr` is Python code)."""
    return _ENUMS[v] if type(v) in _TYPES else repr(v)


def _field(f: dataclasses.Field[Any]) -> str:
    if f.name == "at_ms":
        return "at_ms=0"
    # Either form gives repr(value); _r only where an enum of ours is expected, for speed.
    enum = any(t.__name__ in str(f.type) for t in _TYPES)
    return f"{f.name}={{_r(o.{f.name})}}" if enum else f"{f.name}={{o.{f.name}!r}}"


def _make(cls: type) -> Callable[[Any], str]:
    parts = [_field(f) for f in dataclasses.fields(cls) if f.repr]
    src = f"def body(o):\n    return f'{cls.__qualname__}({', '.join(parts)})'\n"
    scope: dict[str, Any] = {"_r": _r}
    exec(src, scope)  # noqa: S102 - source built from the class's own field names
    _bodies[cls] = scope["body"]
    return _bodies[cls]
