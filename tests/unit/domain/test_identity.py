"""A request's fingerprint is the hash of exactly the body states have stored since the first
release, `repr(evolve(req, at_ms=0))`, for every request class and any field values (quotes,
control characters, non-ASCII, huge numbers, None, plain strings where enums belong)."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from brokerage.domain import identity
from brokerage.domain.events import AmendTrade, CancelTrade, Deposit, NewTrade, Withdraw
from brokerage.domain.types import OrderType, Side, TimeInForce

TEXT = st.text(max_size=20)
INT = st.integers(-(2**70), 2**70)
ANY = st.one_of(TEXT, INT, st.none())


def enum(e: Any) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(e), st.sampled_from([m.value for m in e]), ANY)


REQUESTS = st.one_of(
    st.builds(NewTrade, TEXT, TEXT, enum(Side), TEXT, ANY, enum(OrderType), ANY,
              enum(TimeInForce), at_ms=INT),
    st.builds(AmendTrade, TEXT, TEXT, TEXT, ANY, ANY, at_ms=INT,
              time_in_force=st.none() | st.sampled_from(TimeInForce)),
    st.builds(CancelTrade, TEXT, TEXT, TEXT, at_ms=INT),
    st.builds(Deposit, TEXT, TEXT, ANY, ANY, at_ms=INT),
    st.builds(Withdraw, TEXT, TEXT, ANY, ANY, at_ms=INT),
)


@given(REQUESTS)
def test_the_body_is_the_dataclass_repr_without_the_time(req: Any) -> None:
    body = identity.reference_body(req)
    assert identity._make(type(req))(req) == body
    if isinstance(req, AmendTrade) and req.time_in_force is not None:
        body += f"+time_in_force={req.time_in_force.value}"
    assert identity.fingerprint(req) == hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


def test_the_time_is_not_part_of_the_identity_but_every_field_is() -> None:
    a = NewTrade("r", "t", Side.BUY, "AAPL", 5, OrderType.LIMIT, 100, at_ms=1)
    assert identity.fingerprint(a) == identity.fingerprint(NewTrade(
        "r", "t", Side.BUY, "AAPL", 5, OrderType.LIMIT, 100, at_ms=2))
    assert identity.fingerprint(a) != identity.fingerprint(NewTrade(
        "r", "t", Side.SELL, "AAPL", 5, OrderType.LIMIT, 100, at_ms=1))
