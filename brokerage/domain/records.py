"""`evolve`: `dataclasses.replace` for our slotted records, ~3x faster; and `fast_init`,
the frozen records' `__init__` with its fields stored in one native call.

`replace` rebuilds its keyword arguments from `fields()` and calls the generated `__init__`,
which sets each field through `object.__setattr__` (frozen): ~10 µs for a Trade, and the rules
copy trades and states several times per event (README: Performance). This copies the slots
with one generated function per class, through the slots' own descriptors (a Trade: 3.0 →
1.7 µs), then sets the changes. No `__init__` or `__post_init__` runs: only for records that
have none beyond the generated one (checked when the copier is made). Where the native
extension is built, the copy is Rust's (`_native`), the same fields by their offsets.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
from collections.abc import Callable
from typing import Any, TypeVar

from brokerage import native

T = TypeVar("T")
_copiers: dict[type, Callable[[Any, dict[str, Any]], Any]] = {}
ORIGINAL_INITS: dict[type, Callable[..., None]] = {}  # what fast_init replaced: the reference


def evolve(obj: T, **changes: Any) -> T:
    """`obj` with `changes`, like `dataclasses.replace`; unknown names raise TypeError."""
    copier = _copiers.get(type(obj))
    if copier is None:
        copier = _copiers[type(obj)] = _make(type(obj))
    return copier(obj, changes)


def _make(cls: type, use_native: bool = True) -> Callable[[Any, dict[str, Any]], Any]:
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"evolve needs a slotted dataclass, not {cls.__name__}")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__} has __post_init__: use dataclasses.replace")
    names = tuple(f.name for f in dataclasses.fields(cls))
    slots = _slots(cls, names)
    if slots is None:
        raise TypeError(f"evolve needs every field of {cls.__name__} in a slot")
    body = "".join(f"    set_{i}(n, o.{k})\n" for i, k in enumerate(names))
    src = ("def copy(o, ch):\n"
           "    if not known.issuperset(ch):\n"
           "        raise TypeError(f'{cls.__name__} has no field {set(ch) - known}')\n"
           "    n = new(cls)\n" + body +
           "    for k, v in ch.items():\n"
           "        sets[k](n, v)\n"
           "    return n\n")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls, "known": frozenset(names),
                             "sets": {k: d.__set__ for k, d in slots.items()},
                             **{f"set_{i}": slots[k].__set__ for i, k in enumerate(names)}}
    exec(src, scope)  # noqa: S102 - source built from the class's own field names
    copier: Callable[[Any, dict[str, Any]], Any] = scope["copy"]
    return (use_native and _native(cls, names, slots)) or copier


def _native(cls: type, names: tuple[str, ...], slots: dict[str, Any]
            ) -> Callable[[Any, dict[str, Any]], Any] | None:
    """The same copy in Rust (native/src/records.rs): the slots by their offsets, found on
    a probe whose fields hold distinct sentinels. None where it is not built or the probe
    does not find every field exactly once."""
    ext = native.module()
    if ext is None:
        return None
    try:
        copier: Callable[[Any, dict[str, Any]], Any] = ext.Copier(
            cls, list(names), _offsets(ext, cls, names, slots))
    except ValueError:
        return None
    return copier


def _slots(cls: type, names: tuple[str, ...]) -> dict[str, Any] | None:
    """Each field's slot (a member descriptor), or None if a field is not in one."""
    slots = {k: getattr(cls, k, None) for k in names}
    ok = all(isinstance(d, types.MemberDescriptorType) for d in slots.values())
    return slots if ok else None


def _offsets(ext: Any, cls: type, names: tuple[str, ...], slots: dict[str, Any]) -> list[int]:
    probe: Any = object.__new__(cls)
    sentinels = [object() for _ in names]
    for name, sentinel in zip(names, sentinels, strict=True):
        slots[name].__set__(probe, sentinel)
    offsets: list[int] = ext.slot_offsets(probe, sentinels, cls.__basicsize__)
    return offsets


def fast_init(cls: type[T]) -> type[T]:
    """A frozen slotted dataclass's `__init__`, its fields stored by the native extension
    in one call: the generated one sets each through `object.__setattr__` (~70 ns a field;
    the worker made ~60 per input). Same parameters, defaults and factories. The class is
    left as it is without the extension, or with anything beyond plain fields (an
    `__post_init__`, `InitVar`, `init=False`, keyword-only), or if a probe fails."""
    ext = native.module()
    if ext is None or not dataclasses.is_dataclass(cls) or hasattr(cls, "__post_init__"):
        return cls
    fields = dataclasses.fields(cls)
    names = tuple(f.name for f in fields)
    original = cls.__init__
    params = list(inspect.signature(original).parameters.values())[1:]
    if ([p.name for p in params] != list(names)
            or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in params)):
        return cls
    slots = _slots(cls, names)
    if slots is None:
        return cls
    try:
        filler = ext.Filler(cls, _offsets(ext, cls, names, slots))
    except ValueError:
        return cls
    scope: dict[str, Any] = {"_fill_": filler, "_factory_": object()}
    args, factories = [], ""
    for i, f in enumerate(fields):
        if f.default is not dataclasses.MISSING:
            scope[f"_d{i}_"] = f.default
            args.append(f"{f.name}=_d{i}_")
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_f{i}_"] = f.default_factory
            args.append(f"{f.name}=_factory_")
            factories += f"    if {f.name} is _factory_:\n        {f.name} = _f{i}_()\n"
        else:
            args.append(f.name)
    src = (f"def __init__(self, {', '.join(args)}):\n{factories}"
           f"    _fill_(self, {', '.join(names)})\n")
    exec(src, scope)  # noqa: S102 - source built from the class's own field names
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(getattr(original, "__annotations__", {}))
    ORIGINAL_INITS[cls] = original
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
