"""`record`, `field`, `fields` and `replace`: `dataclasses`' own, made without importing `dataclasses`.

Why: start-up. `dataclasses` imports `inspect` (with `ast`, `dis` and
`tokenize`), and `@dataclass` compiles every method it writes: for the 30
classes of the model graph and its findings, about 25 ms of a 90 ms run of
`validate`. A record is the class `@dataclass(frozen=..., eq=...)` makes:
`__init__` is compiled as `@dataclass` writes it (the same signature,
defaults, factories, `__post_init__`, speed), and `__repr__`, `__eq__`,
`__hash__` and frozenness are closures over the field names
(`operator.attrgetter`, in C). Type checkers see `dataclasses` itself
(`record` is `dataclass` to them). `tests/test_records.py` compares records
with dataclasses on every option the package uses and on every record class of
the package.

    >>> @record(frozen=True)
    ... class Point:
    ...     x: int
    ...     y: int = 0
    ...     tags: list = field(default_factory=list, compare=False)
    >>> Point(1), Point(1) == Point(1, 0, ["a"]), hash(Point(1)) == hash(Point(1, 0))
    (Point(x=1, y=0, tags=[]), True, True)
    >>> replace(Point(1), y=2), [f.name for f in fields(Point)]
    (Point(x=1, y=2, tags=[]), ['x', 'y', 'tags'])

`record` takes `frozen` and `eq`; `field` takes `default`, `default_factory`,
`init`, `repr`, `hash` and `compare`. Anything else is an error, so a class
never silently gets less than `@dataclass` would give it. Use this module's
`fields` and `replace` on records (`dataclasses.fields` does not know them).
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, Any

_FIELDS = "__record_fields__"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows a default made by a factory in a signature


_FACTORY = _Factory()


class Field:
    """One field of a record: what `dataclasses.Field` says of it (no `metadata`, no `kw_only`)."""

    __slots__ = ("name", "type", "default", "default_factory", "init", "repr", "hash", "compare")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, hash: bool | None,
                 compare: bool) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name: str = ""
        self.type: Any = None
        self.default, self.default_factory = default, default_factory
        self.init, self.repr, self.hash, self.compare = init, repr, hash, compare

    def __repr__(self) -> str:
        return (f"Field(name={self.name!r},type={self.type!r},default={self.default!r},"
                f"default_factory={self.default_factory!r},init={self.init!r},repr={self.repr!r},"
                f"hash={self.hash!r},compare={self.compare!r})")


def _field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
           hash: bool | None = None, compare: bool = True) -> Any:
    return Field(default, default_factory, init, repr, hash, compare)


def _fields(class_or_instance: Any) -> tuple[Field, ...]:
    try:
        return tuple(getattr(class_or_instance, _FIELDS).values())
    except AttributeError:
        raise TypeError("must be called with a record type or instance") from None


def _replace(obj: Any, /, **changes: Any) -> Any:
    for f in _fields(obj):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with replace()")
        elif f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


# -- making a record -----------------------------------------------------------------------------------------

def _collect(cls: type) -> dict[str, Field]:
    """The fields of `cls`: its record bases' first, then its own annotations, as `dataclasses` orders them."""
    out: dict[str, Field] = {}
    for base in cls.__mro__[-1:0:-1]:
        out.update(getattr(base, _FIELDS, {}))
    annotations = cls.__dict__.get("__annotations__", {})
    for name, value in cls.__dict__.items():
        if isinstance(value, Field) and name not in annotations:
            raise TypeError(f"{name!r} is a field but has no type annotation")
    for name, kind in annotations.items():
        text = kind if isinstance(kind, str) else getattr(kind, "__name__", "")
        if text.startswith(("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar")):
            raise TypeError(f"a record takes no ClassVar or InitVar: {cls.__qualname__}.{name}")
        value = getattr(cls, name, MISSING)  # as dataclasses: a default a base or mixin class holds counts
        f = value if isinstance(value, Field) else Field(value, MISSING, True, True, None, True)
        if f.default is not MISSING and type(f.default).__hash__ is None:
            raise ValueError(f"mutable default {type(f.default)} for field {name} is not allowed: use default_factory")
        f.name, f.type = name, kind
        if isinstance(value, Field):  # the class keeps a plain default as its attribute, as with dataclasses
            if f.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, f.default)
        out[name] = f
    return out


def _init_source(cls: type, fields: tuple[Field, ...], frozen: bool, env: dict[str, Any]) -> list[str]:
    """The lines of `__init__`: the fields in order, defaults and factories, then `__post_init__`."""
    params, body, seen_default = ["__record_self__"], [], False  # a field may be called `self`
    for f in fields:
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if f.init and not has_default and seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default |= f.init and has_default
        value = _init_value(f, env)
        if f.init:
            params.append(f.name if not has_default else
                          f"{f.name}=__dflt_{f.name}__" if f.default is not MISSING else f"{f.name}=__factory__")
        if value is not None:
            body.append(f"__object__.__setattr__(__record_self__, {f.name!r}, {value})" if frozen
                        else f"__record_self__.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("__record_self__.__post_init__()")
    return [f"def __init__({', '.join(params)}):", *(f"    {line}" for line in body or ["pass"])]


def _init_value(f: Field, env: dict[str, Any]) -> str | None:
    """What `__init__` assigns to field `f` (None: nothing, a field with init=False and no default)."""
    if f.default_factory is not MISSING:
        env[f"__factory_{f.name}__"] = f.default_factory
        return f"__factory_{f.name}__() if {f.name} is __factory__ else {f.name}" if f.init else f"__factory_{f.name}__()"
    if f.default is not MISSING:
        env[f"__dflt_{f.name}__"] = f.default
    if f.init:
        return f.name
    return None if f.default is MISSING else f"__dflt_{f.name}__"


def _methods(cls: type, fields: tuple[Field, ...], frozen: bool, eq: bool) -> dict[str, Callable]:
    """The methods `@dataclass(frozen=frozen, eq=eq)` would write for `cls`, by name."""
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
            raise _frozen_error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise _frozen_error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)
    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _frozen_error(message: str) -> Exception:
    """`dataclasses.FrozenInstanceError`, what a frozen dataclass raises (imported only when one is written to)."""
    from dataclasses import FrozenInstanceError

    return FrozenInstanceError(message)


def _check_frozenness(cls: type, frozen: bool) -> None:
    """The rules `dataclasses` sets: a record and its record bases are all frozen or none is."""
    bases = [b for b in cls.__mro__[1:] if _FIELDS in b.__dict__]
    if bases and any(b.__record_params__["frozen"] for b in bases) != frozen:  # type: ignore[attr-defined]
        raise TypeError(f"cannot inherit {'' if frozen else 'non-'}frozen dataclass from a "
                        f"{'non-' if frozen else ''}frozen one")
    for name in ("__setattr__", "__delattr__"):
        if frozen and name in cls.__dict__:
            raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")


def _record(cls: type, frozen: bool, eq: bool) -> type:
    own = dict(cls.__dict__)
    explicit_hash = own.get("__hash__", MISSING)
    has_explicit_hash = not (explicit_hash is MISSING or (explicit_hash is None and "__eq__" in own))
    _check_frozenness(cls, frozen)
    collected = _collect(cls)
    setattr(cls, _FIELDS, collected)
    cls.__record_params__ = {"frozen": frozen, "eq": eq}  # type: ignore[attr-defined]
    fields = tuple(collected.values())
    for name, fn in _methods(cls, fields, frozen, eq).items():
        if name not in own or (name == "__hash__" and not has_explicit_hash):
            fn.__qualname__, fn.__module__ = f"{cls.__qualname__}.{name}", cls.__module__
            setattr(cls, name, fn)
    if eq and not frozen and not has_explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # as dataclasses: mutable and compared by value
    if "__match_args__" not in own:
        cls.__match_args__ = tuple(f.name for f in fields if f.init)  # type: ignore[attr-defined,misc]
    return cls


def _record_decorator(cls: type | None = None, /, *, frozen: bool = False, eq: bool = True) -> Any:
    if cls is None:
        return lambda c: _record(c, frozen, eq)
    return _record(cls, frozen, eq)


if TYPE_CHECKING:
    from dataclasses import dataclass as record
    from dataclasses import field, fields, replace
else:
    record, field, fields, replace = _record_decorator, _field, _fields, _replace
