"""policyfactory: make sharing of Keras initializers, regularizers and constraints deliberate.

The core (policies, model files, validation, findings) imports neither
TensorFlow nor Keras; the Keras-side names below are imported on first use.

    >>> import policyfactory as pf
    >>> pf.validate("policies/recurrent.yaml")
    []
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .core.findings import Finding, InvalidInput, PolicyfactoryError, PolicyViolation
from .core.version import VERSION

if TYPE_CHECKING:
    from .core.policy import Policy, load_policy
    from .core.validate import validate

__version__ = VERSION

__all__ = [
    "Finding", "InvalidInput", "LayerFactory", "Policy", "PolicyViolation", "PolicyfactoryError",
    "SharedComponent", "SharingCheck", "audit", "build_model", "export", "load_policy", "register_component",
    "register_layer", "validate",
]


_CORE = {"Policy": "policy", "load_policy": "policy", "validate": "validate"}  # on first use: they load PyYAML
_KERAS_SIDE = {"LayerFactory": "factory", "SharedComponent": "factory", "build_model": "building",
               "register_component": "registry", "register_layer": "registry", "audit": "audit", "export": "export",
               "SharingCheck": "callback"}


def __getattr__(name: str) -> Any:
    """Import Keras-side names on first use, so `import policyfactory` imports no Keras (nor its backend), and
    the core's checks too, so a `validate` run whose results are all cached loads no YAML parser."""
    if name in _CORE:
        value = getattr(importlib.import_module(f".core.{_CORE[name]}", __name__), name)
        globals()[name] = value
        return value
    module = _KERAS_SIDE.get(name)
    if module is None:
        raise AttributeError(f"module 'policyfactory' has no attribute {name!r}")
    try:
        value = getattr(importlib.import_module(f".keras_side.{module}", __name__), name)
    except ImportError as exc:  # Keras installed, its backend not: say which backend and where it was chosen
        from .core.backend import BACKEND_MODULES, missing_backend

        if exc.name not in BACKEND_MODULES:
            raise
        raise ImportError(missing_backend(f"policyfactory.{name} needs Keras", exc.name, "KERAS_BACKEND or "
                                          "~/.keras/keras.json"), name=exc.name) from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
