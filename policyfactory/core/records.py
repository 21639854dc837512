"""`record`: `@dataclass`, with only `__init__` compiled.

Why: `@dataclass` writes each method it adds (`__init__`, `__repr__`,
`__eq__`, `__hash__`, and a frozen class's `__setattr__` and `__delattr__`) as
source and compiles it: about 0.4 ms a class, and `validate` imports 30 such
classes, so that was a sixth of its start-up. `record` asks `dataclasses` for
the fields alone, so `fields()`, `replace()`, `asdict()` and `is_dataclass()`
work as ever; it compiles `__init__` (its signature, defaults and speed are
the dataclass's) and makes the other methods from closures over the field
names (`operator.attrgetter`, in C). Type checkers see `dataclasses.dataclass`
itself. `tests/test_records.py` compares the two on every option the package
uses and on every record class of the package.

    >>> @record(frozen=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    >>> Point(1), Point(1) == Point(1, 0), hash(Point(1)) == hash(Point(1, 0))
    (Point(x=1, y=0), True, True)

Only `frozen` and `eq` are taken (with `dataclasses.field` options `default`,
`default_factory`, `init`, `repr`, `compare`, `hash`); anything else is an
error, so a class never silently gets less than `@dataclass` would give it.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows a default made by a factory in a signature


_FACTORY = _Factory()


def _methods(cls: type, frozen: bool, eq: bool) -> dict[str, Callable]:
    """The methods `@dataclass(frozen=frozen, eq=eq)` would write for `cls`, by name."""
    fields = dataclasses.fields(cls)
    env: dict[str, Any] = {"__name__": cls.__module__, "__object__": object, "__factory__": _FACTORY}
    exec("\n".join(_init_source(cls, fields, frozen, env)), env)  # written from the class's own field names
    init = env["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in fields if f.init}, "return": None}
    methods = {"__init__": init, "__repr__": _repr(tuple(f.name for f in fields if f.repr))}
    compared = _fields_of(tuple(f.name for f in fields if f.compare))
    if eq:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return compared(self) == compared(other)
            return NotImplemented
        methods["__eq__"] = __eq__
    if frozen:
        methods.update(_frozen(cls, tuple(f.name for f in fields)))
    if eq and frozen:
        hashed = _fields_of(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))

        def __hash__(self: Any) -> int:
            return hash(hashed(self))
        methods["__hash__"] = __hash__
    return methods


def _fields_of(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """A function giving an object's `names` as a tuple (attrgetter of one name gives the value alone)."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _repr(names: tuple[str, ...]) -> Callable:
    @reprlib.recursive_repr()
    def __repr__(self: Any) -> str:
        return f"{self.__class__.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"
    return __repr__


def _frozen(cls: type[Any], names: tuple[str, ...]) -> dict[str, Callable]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _init_source(cls: type, fields: tuple[dataclasses.Field, ...], frozen: bool, env: dict[str, Any]) -> list[str]:
    """The lines of `__init__`: the fields in order, defaults and factories, then `__post_init__`."""
    params, body, seen_default = ["self"], [], False
    for f in fields:
        has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        if f.init and not has_default and seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default |= f.init and has_default
        value = _init_value(f, env)
        if f.init:
            params.append(f.name if not has_default else
                          f"{f.name}=__dflt_{f.name}__" if f.default is not dataclasses.MISSING else f"{f.name}=__factory__")
        if value is not None:
            body.append(f"__object__.__setattr__(self, {f.name!r}, {value})" if frozen else f"self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    return [f"def __init__({', '.join(params)}):", *(f"    {line}" for line in body or ["pass"])]


def _init_value(f: dataclasses.Field, env: dict[str, Any]) -> str | None:
    """What `__init__` assigns to field `f` (None: nothing, a field with init=False and no default)."""
    if f.default_factory is not dataclasses.MISSING:
        env[f"__factory_{f.name}__"] = f.default_factory
        return f"__factory_{f.name}__() if {f.name} is __factory__ else {f.name}" if f.init else f"__factory_{f.name}__()"
    if f.default is not dataclasses.MISSING:
        env[f"__dflt_{f.name}__"] = f.default
    if f.init:
        return f.name
    return None if f.default is dataclasses.MISSING else f"__dflt_{f.name}__"


def _record(cls: type, frozen: bool, eq: bool) -> type:
    explicit_hash = cls.__dict__.get("__hash__", dataclasses.MISSING)
    has_explicit_hash = not (explicit_hash is dataclasses.MISSING or (explicit_hash is None and "__eq__" in cls.__dict__))
    if frozen and ("__setattr__" in cls.__dict__ or "__delattr__" in cls.__dict__):
        raise TypeError(f"a frozen record cannot define __setattr__ or __delattr__: {cls.__qualname__}")
    own = set(cls.__dict__)
    # dataclasses makes the fields and match_args, and no method but a frozen subclass's own __setattr__ and
    # __delattr__ (it checks frozenness against the bases, as for any dataclass)
    bases = any(dataclasses.is_dataclass(b) for b in cls.__mro__[1:])
    cls = dataclasses.dataclass(init=False, repr=False, eq=False, frozen=frozen and bases)(cls)
    own |= {"__setattr__", "__delattr__"} & set(cls.__dict__)
    for name, fn in _methods(cls, frozen, eq).items():
        if name not in own or (name == "__hash__" and not has_explicit_hash):
            fn.__qualname__, fn.__module__ = f"{cls.__qualname__}.{name}", cls.__module__
            setattr(cls, name, fn)
    if eq and not frozen and not has_explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # as dataclasses: mutable and compared by value
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    params.init, params.repr, params.eq, params.frozen = True, True, eq, frozen
    return cls


if TYPE_CHECKING:
    from dataclasses import dataclass as record
else:
    def record(cls: type | None = None, /, *, frozen: bool = False, eq: bool = True) -> Any:
        """`dataclasses.dataclass`, taking `frozen` and `eq` (see the module's docstring)."""
        if cls is None:
            return lambda c: _record(c, frozen, eq)
        return _record(cls, frozen, eq)

