"""State encryption: sealed values hide balances, round-trip through the codec, survive a key
rotation, and a wrong or missing key is a clear error, never garbage."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from brokerage.codec.state import reference_bytes, state_from_bytes, state_plain, state_to_bytes
from brokerage.domain.state import Position, TraderState
from brokerage.security import envelope, keys
from brokerage.security.keys import DecryptError, KeyRing, UnknownKeyError

STATE = TraderState("alice", cash_available=123_456_789, cash_blocked=987_654,
                    positions={"AAPL": Position(4242, 17)})


@pytest.fixture(autouse=True)
def _no_ring() -> Iterator[None]:
    keys.install(None)
    yield
    keys.reset()


def ring(*ids: str, active: str | None = None) -> KeyRing:
    return KeyRing(active or ids[-1], {i: os.urandom(32) for i in ids})


def test_without_a_ring_values_are_plain_avro() -> None:
    assert state_to_bytes(STATE) == reference_bytes(STATE)


def test_sealed_state_round_trips_and_hides_balances() -> None:
    keys.install(ring("k1"))
    sealed = state_to_bytes(STATE)
    assert envelope.is_sealed(sealed)
    for secret in (b"123456789", (123_456_789).to_bytes(8, "little"), b"alice", b"AAPL"):
        assert secret not in sealed
    assert reference_bytes(STATE) not in sealed
    assert state_from_bytes(sealed) == STATE
    assert state_plain(sealed) == reference_bytes(STATE)


def test_each_seal_uses_a_fresh_nonce() -> None:
    keys.install(ring("k1"))
    a, b = state_to_bytes(STATE), state_to_bytes(STATE)
    assert a != b and state_plain(a) == state_plain(b)


def test_rotation_new_writes_use_the_new_key_old_values_stay_readable() -> None:
    old = ring("k1")
    keys.install(old)
    before = state_to_bytes(STATE)
    rotated = keys.with_new_key(old, "k2")
    keys.install(rotated)
    after = state_to_bytes(STATE)
    assert b"k2" in after[:8] and b"k1" in before[:8]
    assert state_from_bytes(before) == state_from_bytes(after) == STATE


def test_wrong_key_is_a_clear_error() -> None:
    keys.install(ring("k1"))
    sealed = state_to_bytes(STATE)
    keys.install(ring("k1"))  # same id, other bytes
    with pytest.raises(DecryptError, match="k1"):
        state_from_bytes(sealed)


def test_unknown_or_missing_key_is_a_clear_error() -> None:
    keys.install(ring("k1"))
    sealed = state_to_bytes(STATE)
    keys.install(ring("k9"))
    with pytest.raises(UnknownKeyError, match="'k1'"):
        state_from_bytes(sealed)
    keys.install(None)
    with pytest.raises(UnknownKeyError, match="no state key is configured"):
        state_from_bytes(sealed)


def test_tampering_is_detected() -> None:
    keys.install(ring("k1"))
    sealed = bytearray(state_to_bytes(STATE))
    sealed[-20] ^= 1
    with pytest.raises(DecryptError):
        state_from_bytes(bytes(sealed))
    with pytest.raises(DecryptError):
        state_from_bytes(bytes(sealed[:30]))


def test_a_state_cannot_be_opened_for_another_purpose() -> None:
    r = ring("k1")
    sealed = envelope.seal(b"ledger", b"backup-ledger", r)
    with pytest.raises(DecryptError):
        envelope.open_sealed(sealed, envelope.STATE, r)


def test_plain_values_stay_readable_after_switching_encryption_on() -> None:
    plain = state_to_bytes(STATE)
    keys.install(ring("k1"))
    assert state_from_bytes(plain) == STATE
