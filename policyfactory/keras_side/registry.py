"""Explicit Python registration: the only way to add names to the closed catalog.

The core catalog holds names and data only; the classes of registered entries
live here. A registration never changes the shipped catalog: it activates an
extended copy for the current context and returns a `Registration`, which is a
context manager that restores the previous catalog on exit (in the spirit of
Keras's `CustomObjectScope`). Used without `with`, it stays in force for the
rest of the current context, like `keras.saving.register_keras_serializable`.

    >>> import keras, policyfactory as pf
    >>> class Scaled(keras.constraints.Constraint):
    ...     def __init__(self, factor=1.0):
    ...         self.factor = factor
    ...     def __call__(self, w):
    ...         return w * self.factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> with pf.register_component("constraint", Scaled) as entry:
    ...     entry.name, pf.validate({"kind": "model", "version": 1, "input": {"shape": [2]},
    ...         "layers": [{"type": "Dense", "units": 1, "kernel_constraint": "scaled"}]})
    ('Scaled', [])
    >>> [f.rule for f in pf.validate({"kind": "model", "version": 1, "input": {"shape": [2]},
    ...     "layers": [{"type": "Dense", "units": 1, "kernel_constraint": "scaled"}]})]
    ['unknown-component-class']
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
from contextvars import ContextVar
from typing import Any

import keras

from ..core.catalog import KINDS, ComponentType, LayerType, Slot, activate, catalog, deactivate, shipped_catalog
from ..core.findings import Finding
from ..core.naming import snake_case
from ..core.rules.tools import ARGUMENT_INVALID, DECLARED_IMPORT, DECLARED_STALE

_BASES = {
    "initializer": keras.initializers.Initializer,
    "regularizer": keras.regularizers.Regularizer,
    "constraint": keras.constraints.Constraint,
}
_MODULES = {
    "initializer": keras.initializers,
    "regularizer": keras.regularizers,
    "constraint": keras.constraints,
}
_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
APPLICATIONS_PACKAGE = "keras.src.applications."

# (kind or "layer", name) -> class, for entries registered from Python; one mapping per context.
_CLASSES: ContextVar[dict[tuple[str, str], type] | None] = ContextVar("policyfactory_classes", default=None)


def _classes() -> dict[tuple[str, str], type]:
    return _CLASSES.get() or {}


class Registration:
    """A registration in force; `with` it to scope it, else it lasts for the current context."""

    def __init__(self, entry: LayerType | ComponentType, key: tuple[str, str], cls: type):
        self.entry = entry
        self._token = activate(catalog().with_layer(entry) if isinstance(entry, LayerType)
                               else catalog().with_component(entry))
        self._classes_token = _CLASSES.set({**_classes(), key: cls})
        self._active = True

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def slots(self) -> dict[str, Slot]:
        return self.entry.slots if isinstance(self.entry, LayerType) else {}

    def __enter__(self) -> LayerType | ComponentType:
        if not self._active:
            raise RuntimeError(f"the registration of {self.entry.name!r} has ended: register it again")
        return self.entry

    def __exit__(self, *exc: Any) -> None:
        if not self._active:  # ended already: ending twice changes nothing
            return
        self._active = False
        _CLASSES.reset(self._classes_token)
        deactivate(self._token)

    def __repr__(self) -> str:
        return f"<Registration of {self.entry.name!r}>"


def _params(cls: Any) -> dict:
    out = {}
    for n, p in inspect.signature(cls.__init__).parameters.items():
        if n == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out[n] = {"required": True} if p.default is inspect.Parameter.empty else {"default": None}
    return out


def register_component(kind: str, cls: type) -> Registration:
    """Make a custom initializer, regularizer or constraint class usable by name.

    The class must subclass Keras's base class of that kind. Files may then name
    it (`class_name: MyInit`, or its snake_case alias). Register it with Keras too
    (`keras.saving.register_keras_serializable`) so saved models load.

        with pf.register_component("constraint", HalfNorm):
            model = pf.build_model("model.yaml")
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not (inspect.isclass(cls) and issubclass(cls, _BASES[kind])):
        raise TypeError(f"{cls!r} is not a subclass of keras {kind} base class {_BASES[kind].__name__}")
    from keras.src.initializers.random_initializers import RandomInitializer

    if catalog().component(kind, cls.__name__) is not None or catalog().component(kind, snake_case(cls.__name__)):
        raise ValueError(f"{kind} name {cls.__name__!r} is already in the catalog: a registered class cannot replace "
                         f"a built-in or an earlier registration; give the class another name")
    random = kind == "initializer" and issubclass(cls, RandomInitializer)
    entry = ComponentType(kind, cls.__name__, [snake_case(cls.__name__)], _params(cls), random,
                          stateless=not random, registered=True)
    return Registration(entry, (kind, cls.__name__), cls)


def register_layer(cls: type) -> Registration:
    """Make a custom layer class usable by type name; its slots are read from its constructor.

        with pf.register_layer(Scale) as entry:
            f = pf.LayerFactory(seed=1)
            layer = f.Scale(scale_initializer="he_normal")
    """
    entry = layer_entry(cls)
    if catalog().layer(cls.__name__) is not None or cls.__name__ in catalog().excluded_layers:
        raise ValueError(f"layer type {cls.__name__!r} is already in the catalog: a registered class cannot replace "
                         f"a built-in or an earlier registration; give the class another name")
    return Registration(entry, ("layer", cls.__name__), cls)


def layer_entry(cls: type) -> LayerType:
    """What the catalog knows of a layer class, read from its constructor: parameters, defaults and slots
    (arguments named `*_initializer`, `*_regularizer`, `*_constraint`). Registration and `declare` read it."""
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        raise TypeError(f"{cls!r} is not a keras.layers.Layer subclass")
    sig = inspect.signature(cls.__init__)
    params = _params(cls)
    for n, p in sig.parameters.items():
        if n in params and p.default is not inspect.Parameter.empty and _plain(p.default):
            params[n] = {"default": p.default, **({"type": _TYPES[type(p.default)]} if type(p.default) in _TYPES else {})}
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        for n in ("activity_regularizer", "trainable", "dtype", "autocast", "name"):
            params.setdefault(n, {"default": None})
    slots = {}
    for n in params:
        if n.endswith(_SUFFIXES):
            role, kind = n.rsplit("_", 1)
            default = sig.parameters[n].default if n in sig.parameters else None
            dct = catalog().component(kind, default) if isinstance(default, str) else None
            slots[n] = Slot(n, kind, role, dct.name if dct else None)
    return LayerType(cls.__name__, params, [n for n, i in params.items() if i.get("required")], slots, [],
                     registered=True)


_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


def _plain(value: Any) -> bool:
    """A default a declaration can hold as TOML: a number, a bool, a string, or a list of them."""
    if isinstance(value, (list, tuple)):
        return all(type(v) in _TYPES for v in value)
    return type(value) in _TYPES


def declaration(cls: type) -> dict:
    """A layer class as the data `policyfactory declare` writes (settings `layers.NAME`)."""
    entry = layer_entry(cls)
    params: dict[str, dict[str, Any]] = {}
    for n, p in entry.params.items():
        if p.get("required"):
            params[n] = {"required": True}
        else:
            d = p.get("default")
            params[n] = {k: v for k, v in (("default", list(d) if isinstance(d, tuple) else d), ("type", p.get("type")))
                         if v is not None}
    slots = {n: {"kind": s.kind, "role": s.role, **({"default": s.default} if s.default else {})}
             for n, s in entry.slots.items()}
    return {"module": cls.__module__, "class": cls.__qualname__, "params": params, "slots": slots}


def import_declared(files: dict[str, str]) -> list[Finding]:
    """Import the project's declared layer classes for this run (build, audit): the module each declaration
    names (a setting the user wrote, read from its settings file's folder), and the class still as declared.
    Returns findings (at the declaration) for what cannot be used; the classes that can are bound for
    `layer_class`."""
    findings: list[Finding] = []
    bound = dict(_classes())
    for lt in catalog().layers.values():
        if not lt.declared:
            continue
        module, _, name = lt.declared.partition(":")
        file = files.get(lt.name, os.path.join(os.getcwd(), "pyproject.toml"))
        line = _declared_line(file, lt.name)
        cls, problem = _import(module, name, os.path.dirname(file))
        if cls is None:
            findings.append(Finding(file, line, 1, DECLARED_IMPORT, f"declared layer {lt.name!r}: {problem}"))
            continue
        stale = _stale(lt, layer_entry(cls))
        if stale:
            findings.append(Finding(file, line, 1, DECLARED_STALE, f"declared layer {lt.name!r} ({lt.declared}): "
                                    f"{stale}; run 'policyfactory declare {lt.declared} --write' again"))
            continue
        bound[("layer", lt.name)] = cls
    _CLASSES.set(bound)
    return findings


def _declared_line(file: str, name: str) -> int:
    """The line of a declaration's table in its settings file (1 when it cannot be told)."""
    try:
        with open(file, encoding="utf-8") as fh:
            for i, line in enumerate(fh, 1):
                if re.match(rf"^\s*\[\s*(tool\.policyfactory\.)?layers\.{re.escape(name)}\s*\]", line):
                    return i
    except OSError:
        pass
    return 1


def _import(module: str, name: str, root: str) -> tuple[type | None, str]:
    """The class `name` of `module`, imported with `root` first on the path; or (None, why not)."""
    sys.path.insert(0, root)
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # the user's module: any error it raises is theirs, reported as a finding
        return None, f"cannot import {module}: {type(exc).__name__}: {exc}"
    finally:
        sys.path.remove(root)
    cls = getattr(mod, name, None)
    if cls is None:
        return None, f"module {module} has no class {name!r}"
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        return None, f"{module}.{name} is not a keras.layers.Layer subclass"
    return cls, ""


def _stale(declared: LayerType, actual: LayerType) -> str:
    """How a declaration differs from its class now ('' when it matches): arguments and slots."""
    gone = sorted(set(declared.params) - set(actual.params))
    new_required = sorted(set(actual.required) - set(declared.required))
    slots = {n: (s.kind, s.role) for n, s in declared.slots.items()}
    now = {n: (s.kind, s.role) for n, s in actual.slots.items()}
    if gone:
        return f"the class no longer takes {', '.join(gone)}"
    if new_required:
        return f"the class now requires {', '.join(new_required)}"
    if slots != now:
        return f"its component slots are now {', '.join(sorted(now)) or 'none'} (declared: {', '.join(sorted(slots))})"
    return ""


def layer_class(lt: LayerType) -> type:
    """The Keras class of a catalog layer type (registered ones from the registration in force)."""
    if lt.registered:
        return _classes()[("layer", lt.name)]
    if lt.module.startswith(APPLICATIONS_PACKAGE):  # a keras.applications layer, as the generated catalog says
        return getattr(importlib.import_module(lt.module), lt.name)
    return getattr(keras.layers, lt.name)


def component_class(ct: ComponentType) -> type:
    """The Keras class of a catalog component."""
    if ct.registered:
        return _classes()[(ct.kind, ct.name)]
    return getattr(_MODULES[ct.kind], ct.name)


def registered_layer_types() -> dict[type, str]:
    """Registered layer classes in force -> their catalog names (for the audit)."""
    return {cls: name for (kind, name), cls in _classes().items() if kind == "layer"}


_SPEC = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):([A-Za-z_][A-Za-z0-9_]*)$")


def declare(specs: list[str], root: str) -> tuple[dict[str, dict], list[Finding]]:
    """`policyfactory declare MODULE:CLASS...`: import each class the user named (their own code, from
    `root`) and read its declaration; findings for what cannot be declared."""
    entries: dict[str, dict] = {}
    findings: list[Finding] = []
    shipped = shipped_catalog()
    for spec in specs:
        m = _SPEC.match(spec)
        if m is None:
            findings.append(Finding(spec, 1, 1, ARGUMENT_INVALID,
                                    f"{spec!r} is not MODULE:CLASS (for example mypkg.layers:Scale)"))
            continue
        cls, problem = _import(m.group(1), m.group(2), root)
        if cls is None:
            findings.append(Finding(spec, 1, 1, DECLARED_IMPORT, problem))
            continue
        if shipped.layer(cls.__name__) is not None or cls.__name__ in shipped.excluded_layers:
            findings.append(Finding(spec, 1, 1, ARGUMENT_INVALID, f"{cls.__name__!r} is a Keras layer: a declared "
                                    "class cannot shadow a built-in (give the class another name)"))
            continue
        entries[cls.__name__] = {**declaration(cls), "module": m.group(1), "class": m.group(2)}
    return entries, findings
