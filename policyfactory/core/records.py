"""`record`: `@dataclass`, with the methods it writes compiled in one go.

Why: `@dataclass` compiles each method it writes on its own (`__init__`,
`__repr__`, `__eq__`, `__hash__`, and a frozen class's `__setattr__` and
`__delattr__`), about 0.4 ms a class; `validate` imports 33 such classes, so
that was a sixth of its start-up. `record` asks `dataclasses` for the fields
alone, so `fields()`, `replace()`, `asdict()` and `is_dataclass()` work as
ever, and compiles the same methods with one `exec` a class. Type checkers see
`dataclasses.dataclass` itself. `tests/test_records.py` compares the two on
every option the package uses.

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
from typing import TYPE_CHECKING, Any


class _Factory:
    def __repr__(self) -> str:
        return "<factory>"  # as dataclasses shows a default made by a factory in a signature


_FACTORY = _Factory()


def _methods(cls: type, frozen: bool, eq: bool) -> tuple[str, dict[str, Any]]:
    """The source of the methods `@dataclass(frozen=frozen, eq=eq)` would write for `cls`, and their globals."""
    fields = dataclasses.fields(cls)
    env: dict[str, Any] = {"__name__": cls.__module__, "__cls__": cls, "__object__": object, "__factory__": _FACTORY,
                           "__frozen__": dataclasses.FrozenInstanceError, "__recursive__": reprlib.recursive_repr()}
    src = _init_source(cls, fields, frozen, env)
    shown = [f for f in fields if f.repr]
    src += ["@__recursive__", "def __repr__(self):",
            "    return self.__class__.__qualname__ + f\"(" + ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in shown) + ")\""]
    if eq:
        compared = [f.name for f in fields if f.compare]
        mine, theirs = "".join(f"self.{n}," for n in compared), "".join(f"other.{n}," for n in compared)
        src += ["def __eq__(self, other):", "    if other.__class__ is self.__class__:",
                f"        return ({mine}) == ({theirs})", "    return NotImplemented"]
    if frozen:
        names = tuple(f.name for f in fields)
        src += ["def __setattr__(self, name, value):", f"    if type(self) is __cls__ or name in {names!r}:",
                "        raise __frozen__(f'cannot assign to field {name!r}')",
                "    super(__cls__, self).__setattr__(name, value)",
                "def __delattr__(self, name):", f"    if type(self) is __cls__ or name in {names!r}:",
                "        raise __frozen__(f'cannot delete field {name!r}')", "    super(__cls__, self).__delattr__(name)"]
    if eq and frozen:
        hashed = "".join(f"self.{f.name}," for f in fields if (f.compare if f.hash is None else f.hash))
        src += ["def __hash__(self):", f"    return hash(({hashed}))"]
    return "\n".join(src), env


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
    source, env = _methods(cls, frozen, eq)
    exec(source, env)  # the source is written by `_methods` from the class's own field names
    env["__init__"].__annotations__ = {**{f.name: f.type for f in dataclasses.fields(cls) if f.init}, "return": None}
    for name in ("__init__", "__repr__", "__eq__", "__setattr__", "__delattr__", "__hash__"):
        if name in env and (name not in own or (name == "__hash__" and not has_explicit_hash)):
            fn = env[name]
            fn.__qualname__ = f"{cls.__qualname__}.{fn.__name__}"
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

