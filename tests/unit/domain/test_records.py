"""`evolve` must be indistinguishable from `dataclasses.replace` for every record the rules
copy: same values, same type, the original untouched, unknown names refused."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brokerage import native
from brokerage.domain import events, records, state
from brokerage.domain.records import evolve
from brokerage.domain.types import OrderType, Side, TimeInForce, TradeStatus

TRADE = state.Trade("t1", "r1", Side.BUY, "AAPL", OrderType.LIMIT, TimeInForce.DAY, 100,
                    15_000, 15_000, fills=(state.Fill("e1", 10, 15_000, 5),))

ints = st.integers(min_value=-(2**40), max_value=2**40)
trade_changes = st.fixed_dictionaries({}, optional={
    "status": st.sampled_from(TradeStatus), "cum_qty": ints, "blocked_cash": ints,
    "limit_price": st.none() | ints, "pending_qty": st.none() | ints,
    "change_request_id": st.none() | st.text(max_size=8), "fills": st.just(()),
    "history": st.lists(st.builds(state.Change, ints, st.sampled_from(TradeStatus),
                                  st.text(max_size=5)), max_size=3).map(tuple),
})


@given(trade_changes)
def test_a_trade_evolves_as_replace_makes_it(changes: dict[str, object]) -> None:
    before = repr(TRADE)
    new = evolve(TRADE, **changes)
    assert new == replace(TRADE, **changes)
    assert type(new) is state.Trade
    assert repr(TRADE) == before  # the original is untouched
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.cum_qty = 1  # type: ignore[misc]  # still frozen


def test_every_slotted_record_of_the_rules_copies_whole() -> None:
    s = state.TraderState("T1", cash_available=5, positions={"AAPL": state.Position(3, 1)},
                          trades={"t1": TRADE})
    copied = s.copy()
    assert copied == s and copied is not s
    assert copied.trades is not s.trades  # its containers are its own
    copied.trades["t2"] = TRADE
    assert "t2" not in s.trades
    totals = state.Totals(deposited=7)
    assert evolve(totals, fees=2) == state.Totals(deposited=7, fees=2)
    req = events.Deposit("r1", "T1", 500, at_ms=9)
    assert evolve(req, at_ms=0) == replace(req, at_ms=0)
    assert repr(evolve(req, at_ms=0)) == repr(replace(req, at_ms=0))  # fingerprints use it


def test_an_unknown_field_is_refused_like_replace() -> None:
    with pytest.raises(TypeError):
        replace(TRADE, nonsense=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="nonsense"):
        evolve(TRADE, nonsense=1)


def test_records_that_need_their_init_are_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Checked:
        x: int

        def __post_init__(self) -> None:
            if self.x < 0:
                raise ValueError("negative")

    @dataclass(frozen=True)
    class Unslotted:
        x: int

    with pytest.raises(TypeError, match="__post_init__"):
        evolve(Checked(1), x=-1)
    with pytest.raises(TypeError, match="slotted"):
        evolve(Unslotted(1), x=2)


def test_fields_in_a_parents_slots_are_copied_too() -> None:
    @dataclass(frozen=True, slots=True)
    class Base:
        x: int
        y: str = "a"

    @dataclass(frozen=True, slots=True)
    class Child(Base):
        z: tuple[int, ...] = ()

    c = Child(1, "b", (2,))
    assert evolve(c, z=(3,)) == replace(c, z=(3,)) == Child(1, "b", (3,))
    assert evolve(c) == c and evolve(c) is not c


RECORDS = [c for m in (events, state) for c in vars(m).values()
           if isinstance(c, type) and dataclasses.is_dataclass(c) and "__slots__" in c.__dict__
           and c.__module__.startswith("brokerage.domain") and not hasattr(c, "__post_init__")]


@pytest.mark.skipif(native.module() is None, reason="the native extension is not built here")
@given(st.data())
def test_the_native_copy_is_the_python_copy_for_every_record(data: st.DataObject) -> None:
    """Every field by its offset, found on a probe: each record class's copy and changes
    must come out as the Python copier's, field for field, the very same objects."""
    cls = data.draw(st.sampled_from(RECORDS))
    names = [f.name for f in dataclasses.fields(cls)]
    values = {n: data.draw(st.one_of(st.none(), ints, st.text(max_size=4))) for n in names}
    obj = object.__new__(cls)
    for n, v in values.items():
        getattr(cls, n).__set__(obj, v)  # the slot itself: the record is frozen
    changes = {n: data.draw(ints) for n in data.draw(st.sets(st.sampled_from(names)))}
    fast, slow = records._make(cls), records._make(cls, use_native=False)
    assert type(fast).__name__ == "Copier"
    a, b = fast(obj, changes), slow(obj, changes)
    assert type(a) is cls and all(getattr(a, n) is getattr(b, n) for n in names)


@pytest.mark.skipif(native.module() is None, reason="the native extension is not built here")
def test_native_copies_keep_every_reference_counted() -> None:
    marker = "m" * 50  # its own object: nothing else holds it
    t = evolve(TRADE, change_request_id=marker)
    before = sys.getrefcount(marker)
    copies = [evolve(t, cum_qty=i) for i in range(1_000)]
    assert sys.getrefcount(marker) == before + 1_000
    del copies
    assert sys.getrefcount(marker) == before
    with pytest.raises(ValueError):  # a field not held in the object itself
        native.module().slot_offsets(TRADE, [object()], type(TRADE).__basicsize__)
