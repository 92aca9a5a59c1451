"""`fast_init`: a frozen record built through the native `__init__` must be the one the
dataclass's own `__init__` builds, for every record it serves: same fields (the very
objects), defaults and fresh factory values, same signature, every reference counted."""

from __future__ import annotations

import dataclasses
import inspect
import sys
from dataclasses import dataclass, field
from typing import Any

import pytest

# Every module whose records fast_init serves, so ORIGINAL_INITS holds them all.
import brokerage.codec.state_log
import brokerage.domain.events
import brokerage.domain.state
import brokerage.observability.trace
import brokerage.service.messages  # noqa: F401
from brokerage import native
from brokerage.domain import records
from brokerage.domain.records import ORIGINAL_INITS, fast_init

pytestmark = pytest.mark.skipif(native.module() is None,
                                reason="the native extension is not built here")
CLASSES = sorted(ORIGINAL_INITS, key=lambda c: c.__qualname__)


def _original(cls: type, *args: Any, **kwargs: Any) -> Any:
    obj = object.__new__(cls)
    ORIGINAL_INITS[cls](obj, *args, **kwargs)
    return obj


def _values(obj: Any) -> list[Any]:
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def test_the_hot_records_are_served() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"NewTrade", "ExecutionReport", "TradeUpdate", "Response", "OrderCommand", "Trade",
            "Position", "TraceContext", "Source", "Head"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_positional_and_keyword_arguments_fill_the_same_fields(cls: type) -> None:
    names = [f.name for f in dataclasses.fields(cls)]
    given = [object() for _ in names]  # distinct: a field stored in the wrong slot shows
    fast, ref = cls(*given), _original(cls, *given)
    assert [v is g for v, g in zip(_values(fast), given, strict=True)] == [True] * len(names)
    assert _values(fast) == _values(ref)
    by_name = cls(**dict(zip(reversed(names), reversed(given), strict=True)))
    assert all(a is b for a, b in zip(_values(by_name), given, strict=True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(fast, names[0], 1)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defaults_and_the_signature_are_the_dataclasses(cls: type) -> None:
    required = [f for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    args = [object() for _ in required]
    assert _values(cls(*args)) == _values(_original(cls, *args))
    assert inspect.signature(cls) == inspect.signature(
        ORIGINAL_INITS[cls]).replace(parameters=list(
            inspect.signature(ORIGINAL_INITS[cls]).parameters.values())[1:])
    with pytest.raises(TypeError):
        cls(*args, *[object() for _ in range(len(dataclasses.fields(cls)) + 1)])


@fast_init
@dataclass(frozen=True, slots=True)
class Made:
    a: object
    items: list[object] = field(default_factory=list)
    b: object = None


def test_a_factory_runs_per_instance_and_an_init_again_releases_the_old_values() -> None:
    assert Made in ORIGINAL_INITS
    one, two = Made(1), Made(2)
    assert one.items == [] and one.items is not two.items and one.b is None
    old, new = object(), object()
    before = sys.getrefcount(old), sys.getrefcount(new)
    made = Made(old, [], old)
    assert sys.getrefcount(old) == before[0] + 2
    made.__init__(new, [], new)  # type: ignore[misc]
    assert made.a is new and sys.getrefcount(old) == before[0]
    del made
    assert (sys.getrefcount(old), sys.getrefcount(new)) == before


def test_records_it_cannot_serve_keep_their_own_init() -> None:
    @dataclass(frozen=True, slots=True)
    class Post:
        a: int

        def __post_init__(self) -> None:
            pass

    @dataclass(frozen=True, slots=True, kw_only=True)
    class KeywordOnly:
        a: int

    @dataclass(frozen=True, slots=True)
    class Hidden:
        a: int
        b: int = field(default=0, init=False)

    @dataclass(frozen=True)
    class Unslotted:
        a: int

    for cls in (Post, KeywordOnly, Hidden, Unslotted):
        init = cls.__init__
        assert fast_init(cls) is cls and cls.__init__ is init and cls not in ORIGINAL_INITS


def test_without_the_extension_nothing_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(records.native, "module", lambda: None)

    @dataclass(frozen=True, slots=True)
    class Plain:
        a: int

    init = Plain.__init__
    assert fast_init(Plain) is Plain and Plain.__init__ is init
