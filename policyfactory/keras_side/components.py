"""Keras component classes, resolved only through the catalog.

Why closed: a config string must never choose which Python code runs
(CVE-2025-1550 and friends). A name resolves to a class only when the catalog
lists it (a Keras built-in) or it was registered from Python.
"""

from __future__ import annotations

from typing import Any

import keras

from ..core.catalog import ComponentType, catalog, did_you_mean
from ..core.findings import Finding, InvalidInput
from ..core.plan import ComponentUse

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
    cat = catalog()
    if isinstance(value, str):
        ct = cat.component(kind, value)
        if ct is None:
            raise _invalid(f"unknown {kind} '{value}'{did_you_mean(value, cat.component_names(kind))}",
                           "unknown-component-class")
        return ComponentUse(ct.name, {})
    if isinstance(value, dict):
        bad = [k for k in value if k not in ("class_name", "config")]
        if bad or "class_name" not in value:
            raise _invalid(f"{kind} config must be {{'class_name': ..., 'config': {{...}}}}; got keys {sorted(map(str, value))}"
                           + (" ('module'/'registered_name' are not honoured)" if set(bad) & {"module", "registered_name"} else ""),
                           "config-module-key" if set(bad) & {"module", "registered_name"} else "component-value")
        ct = cat.component(kind, value["class_name"])
        if ct is None:
            raise _invalid(f"unknown {kind} '{value['class_name']}'"
                           f"{did_you_mean(value['class_name'], cat.component_names(kind))}", "unknown-component-class")
        config = dict(value.get("config") or {})
        unknown = [k for k in config if k not in ct.params]
        if unknown:
            raise _invalid(f"{ct.name} takes no argument '{unknown[0]}'{did_you_mean(unknown[0], list(ct.params))}",
                           "unknown-argument")
        return ComponentUse(ct.name, config)
    ct = cat.component(kind, type(value).__name__)
    if ct is None or component_class(ct) is not type(value):
        raise _invalid(f"{type(value).__name__} is not a known {kind}: use a Keras built-in or "
                       f"register the class with policyfactory.register_component('{kind}', cls)",
                       "unknown-component-class")
    config = value.get_config()
    return ComponentUse(ct.name, {k: v for k, v in config.items() if k in ct.params})
