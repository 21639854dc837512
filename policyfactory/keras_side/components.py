"""Keras component objects, made only from catalog entries.

Why closed: a config string must never choose which Python code runs
(CVE-2025-1550 and friends). A name resolves to a class only when the catalog
lists it (a Keras built-in) or it was registered from Python.
"""

from __future__ import annotations

from typing import Any

from ..core.catalog import catalog
from ..core.findings import InvalidInput, python_finding
from ..core.resolve import ComponentUse, resolve_component
from ..core.rules.components import UNKNOWN_COMPONENT_CLASS
from ..core.text import shown
from .registry import component_class


def instantiate(kind: str, class_name: str, config: dict) -> Any:
    """A new component object of a planned class and config."""
    ct = catalog().component(kind, class_name)
    if ct is None:  # pragma: no cover - plans only name catalog classes
        raise InvalidInput(python_finding(UNKNOWN_COMPONENT_CLASS, f"unknown {kind} {shown(class_name)}"))
    return component_class(ct)(**config)


def use_from_value(kind: str, value: Any) -> ComponentUse:
    """A Python-side component value (name, config mapping or Keras object) as a catalog use."""
    if isinstance(value, (str, dict)):
        use, problems = resolve_component(kind, value)
        if problems or use is None:
            raise InvalidInput([python_finding(p.rule, p.message) for p in problems])
        return use
    ct = catalog().component(kind, type(value).__name__)
    if ct is None or component_class(ct) is not type(value):
        raise InvalidInput(python_finding(
            UNKNOWN_COMPONENT_CLASS,
            f"{type(value).__name__} is not a known {kind}: use a Keras built-in or "
            f"register the class with policyfactory.register_component({shown(kind)}, cls)"))
    component: Any = value  # a Keras component object whose class the catalog knows
    config = component.get_config()
    return ComponentUse(ct.name, {k: v for k, v in config.items() if k in ct.params}, kind=kind)
