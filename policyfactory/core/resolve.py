"""Resolve a component written as data -- a name or a `{class_name, config}` mapping -- through the catalog.

Why one function: model files (`validate`) and Python callers (`LayerFactory`)
write components the same two ways, and must get the same answer and the same
messages. Problems come back as data with a path relative to the value, so the
file checker can place them at a line and the factory can raise them.

    >>> resolve_component("initializer", {"class_name": "he_normal", "config": {"seed": 3}})
    (ComponentUse(class_name='HeNormal', config={'seed': 3}, shared=None, file='', line=0, column=0, kind='initializer'), [])
"""

from __future__ import annotations

from typing import Any

from .argcheck import argument_problem
from .catalog import ComponentType, article, catalog
from .findings import Fix
from .records import record
from .rules.components import (
    ARGUMENT_VALUE,
    COMPONENT_VALUE,
    COMPONENT_WRONG_KIND,
    CONFIG_MODULE_KEY,
    LAYER_NOT_ALLOWED,
    UNKNOWN_ARGUMENT,
    UNKNOWN_COMPONENT_CLASS,
    UNKNOWN_LAYER_TYPE,
)
from .rules.schemarules import SCHEMA_TYPE, SCHEMA_UNKNOWN_KEY
from .schema import describe
from .text import shown, suggestion

FORBIDDEN_CONFIG_KEYS = ("module", "registered_name")
_EXAMPLES = {"initializer": "he_normal", "regularizer": "l2", "constraint": "unit_norm"}
_TYPE_WORDS = {"int": "an integer", "float": "a number", "bool": "true or false",
               "int-list": "an integer or a list of integers"}


@record(frozen=True)
class ComponentUse:
    """A component given to one slot, resolved through the catalog: the one shape of a component."""

    class_name: str  # canonical catalog name
    config: dict  # as the user wrote it (explicit seed included)
    shared: str | None = None  # name of the shared declaration, if any
    file: str = ""
    line: int = 0
    column: int = 0
    kind: str = ""


@record(frozen=True)
class Problem:
    """A problem with one component value, located relative to the value."""

    path: tuple  # relative to the component value
    rule: str
    message: str
    at_key: bool = False
    fix: Fix | None = None  # a did-you-mean with one answer, its path relative to the value as `path`


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def type_problem(info: dict, value: Any, path: tuple, name: str) -> Problem | None:
    """A problem if `value` does not have the type the catalog infers for an argument."""
    t = info.get("type")
    if t is None or value is None:
        return None
    good = {
        "int": _is_int(value),
        "float": isinstance(value, (int, float)) and not isinstance(value, bool),
        "bool": isinstance(value, bool),
        "int-list": _is_int(value) or (isinstance(value, list) and all(_is_int(v) for v in value)),
    }[t]
    return None if good else Problem(path, SCHEMA_TYPE, f"{shown(name)}: expected {_TYPE_WORDS[t]}, got {describe(value)}")


def unknown_layer(name: str, path: tuple = ()) -> Problem:
    """Why a layer type name is refused: excluded (runs code given as data) or unknown, with did-you-mean."""
    cat = catalog()
    if name in cat.excluded_layers:
        return Problem(path, LAYER_NOT_ALLOWED, f"layer type {shown(name)} is not allowed: {cat.excluded_layers[name]}")
    hint, fix = suggestion(name, cat.layer_names())
    return Problem(path, UNKNOWN_LAYER_TYPE, f"unknown layer type {shown(name)}{hint}",
                   fix=Fix.rename(path, name, fix) if fix else None)


def unknown_component(kind: str, name: str, path: tuple = ()) -> Problem:
    other = catalog().component_any_kind(name)
    if other is not None:
        return Problem(path, COMPONENT_WRONG_KIND,
                       f"{shown(name)} is {article(other.kind)}, but this slot takes {article(kind)}")
    hint, fix = suggestion(name, catalog().component_names(kind))
    return Problem(path, UNKNOWN_COMPONENT_CLASS, f"unknown {kind} {shown(name)}{hint}",
                   fix=Fix.rename(path, name, fix) if fix else None)


@record(frozen=True)
class Written:
    """A component as written: a name, or a `{class_name, config}` mapping (a Keras config adds
    `module` and `registered_name`), with the catalog's entry for its class (None: not in the catalog)."""

    kind: str
    name: str  # the class name or alias as written
    component: ComponentType | None
    config: Any = None  # as written; None for a name
    module: Any = None
    registered_name: Any = None

    @property
    def class_name(self) -> str:
        """The catalog's canonical name, or the name as written for a class the catalog does not know."""
        return self.component.name if self.component is not None else self.name

    @property
    def settings(self) -> dict:
        """The config when it is a mapping, else empty."""
        return self.config if isinstance(self.config, dict) else {}


def parse_component(kind: str, value: Any, *, strict: bool = False) -> tuple[Written | None, list[Problem]]:
    """A serialized component -- a name or a mapping with a `class_name` -- read as data, like Keras's
    `initializers.get` but resolving only through the catalog (nothing in the value picks Python code).

    Lenient (the default): any name, or any mapping whose `class_name` is a string, is read (an unknown
    class has `component` None); anything else is (None, []). Strict (model files): the value must be a
    catalog class of `kind` written as a name or `{class_name, config}` alone, else (None, problems).

        >>> w, _ = parse_component("initializer", {"module": "keras.initializers", "class_name": "HeNormal",
        ...                                        "config": {"seed": 3}, "registered_name": None})
        >>> w.class_name, w.settings, w.module
        ('HeNormal', {'seed': 3}, 'keras.initializers')
        >>> parse_component("initializer", "MyInit")[0].class_name, parse_component("initializer", 3)
        ('MyInit', (None, []))
        >>> [p.rule == UNKNOWN_COMPONENT_CLASS for p in parse_component("initializer", "MyInit", strict=True)[1]]
        [True]
    """
    cat = catalog()
    if isinstance(value, str):
        ct = cat.component(kind, value)
        if ct is None and strict:
            return None, [unknown_component(kind, value)]
        return Written(kind, value, ct), []
    if isinstance(value, dict) and "class_name" in value:
        problem = _mapping_problem(value) if strict else None
        if problem is not None:
            return None, [problem]
        cname = value["class_name"]
        if not isinstance(cname, str):
            return None, [Problem(("class_name",), SCHEMA_TYPE,
                                  f"'class_name': expected a string, got {describe(cname)}")] if strict else []
        ct = cat.component(kind, cname)
        if strict and ct is None:
            return None, [unknown_component(kind, cname, ("class_name",))]
        config = value.get("config")
        if strict and config and not isinstance(config, dict):
            return None, [Problem(("config",), SCHEMA_TYPE, f"'config': expected a mapping, got {describe(config)}")]
        return Written(kind, cname, ct, config, value.get("module"), value.get("registered_name")), []
    if not strict:
        return None, []
    if isinstance(value, dict):
        return None, [Problem((), COMPONENT_VALUE,
                              f"{article(kind)} is a name (e.g. {shown(_EXAMPLES[kind])}), a mapping with class_name and "
                              f"config, or {{shared: NAME}}; got a mapping with keys {', '.join(map(str, value)) or 'none'}")]
    return None, [Problem((), COMPONENT_VALUE,
                          f"{article(kind)} is a name, a {{class_name, config}} mapping or {{shared: NAME}}; "
                          f"got {describe(value)}")]


def _mapping_problem(value: dict) -> Problem | None:
    """A model file's component mapping holds `class_name` and `config` only: never a module to import."""
    for k in value:
        if k in FORBIDDEN_CONFIG_KEYS:
            return Problem((k,), CONFIG_MODULE_KEY,
                           f"'{k}:' is not honoured: names resolve only through the policyfactory catalog "
                           f"and classes registered from Python", True)
        if k not in ("class_name", "config"):
            return Problem((k,), SCHEMA_UNKNOWN_KEY,
                           f"unknown key {shown(k)} in a component config (expected class_name and config)", True)
    return None


def resolve_component(kind: str, value: Any) -> tuple[ComponentUse | None, list[Problem]]:
    """(use, []) for a valid name or config mapping of `kind`, else (None, problems)."""
    written, problems = parse_component(kind, value, strict=True)
    if written is None or written.component is None:
        return None, problems
    ct = written.component
    for k, v in written.settings.items():
        info = ct.params.get(k)
        if info is None:
            hint, fix = suggestion(k, list(ct.params))
            problems.append(Problem(("config", k), UNKNOWN_ARGUMENT, f"{ct.name} takes no argument {shown(k)}{hint}", True,
                                    Fix.rename(("config", k), k, fix, at_key=True) if fix and fix not in written.settings
                                    else None))
        elif k == "seed" and v is not None and (not isinstance(v, int) or isinstance(v, bool)):
            problems.append(Problem(("config", k), SCHEMA_TYPE, f"'seed': expected an integer or null, got {describe(v)}"))
        else:
            p = type_problem(info, v, ("config", k), k)
            message = argument_problem(ct.name, k, v) if p is None else None
            if message is not None:
                p = Problem(("config", k), ARGUMENT_VALUE, message)
            if p is not None:
                problems.append(p)
    return (None, problems) if problems else (ComponentUse(ct.name, dict(written.settings), kind=kind), [])
