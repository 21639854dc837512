"""Keras component classes, resolved only through the catalog.

Why closed: a config string must never choose which Python code runs
(CVE-2025-1550 and friends). A name resolves to a class only when the catalog
lists it (a Keras built-in) or it was registered from Python.
"""

from __future__ import annotations

from typing import Any

import keras

from ..core.catalog import ComponentType, catalog
from ..core.findings import Finding, InvalidInput
from ..core.plan import ComponentUse
from ..core.resolve import resolve_component

_MODULES = {
    "initializer": keras.initializers,
    "regularizer": keras.regularizers,
    "constraint": keras.constraints,
}


def _invalid(message: str, rule: str = "component-value") -> InvalidInput:
    return InvalidInput(Finding("<python>", 1, 1, rule, message))


def component_class(ct: ComponentType) -> type:
    """The Python class of a catalog entry."""
    if ct.cls is not None:
        return ct.cls
    return getattr(_MODULES[ct.kind], ct.name)


def instantiate(kind: str, class_name: str, config: dict) -> Any:
    ct = catalog().component(kind, class_name)
    if ct is None:  # pragma: no cover - plans only name catalog classes
        raise _invalid(f"unknown {kind} '{class_name}'", "unknown-component-class")
    return component_class(ct)(**config)


def use_from_value(kind: str, value: Any) -> ComponentUse:
    """A Python-side component value (name, config mapping or Keras object) as a catalog use."""
    if isinstance(value, (str, dict)):
        use, problems = resolve_component(kind, value)
        if problems:
            raise InvalidInput([Finding("<python>", 1, 1, p.rule, p.message) for p in problems])
        return use
    ct = catalog().component(kind, type(value).__name__)
    if ct is None or component_class(ct) is not type(value):
        raise _invalid(f"{type(value).__name__} is not a known {kind}: use a Keras built-in or "
                       f"register the class with policyfactory.register_component('{kind}', cls)",
                       "unknown-component-class")
    config = value.get_config()
    return ComponentUse(ct.name, {k: v for k, v in config.items() if k in ct.params})
