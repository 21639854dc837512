"""policyfactory: make sharing of Keras initializers, regularizers and constraints deliberate.

The core (policies, model files, validation, findings) imports neither
TensorFlow nor Keras; the Keras-side names below are imported on first use.

    >>> import policyfactory as pf
    >>> pf.validate("policies/recurrent.yaml")
    []
"""

from __future__ import annotations

from .core.findings import Finding, InvalidInput, PolicyfactoryError, PolicyViolation
from .core.policy import Policy, load_policy
from .core.validate import validate

__version__ = "0.1.0"

_KERAS_SIDE = {
    "LayerFactory": ("policyfactory.keras_side.factory", "LayerFactory"),
    "SharedComponent": ("policyfactory.keras_side.factory", "SharedComponent"),
    "build_model": ("policyfactory.keras_side.building", "build_model"),
    "register_component": ("policyfactory.keras_side.registry", "register_component"),
    "register_layer": ("policyfactory.keras_side.registry", "register_layer"),
    "audit": ("policyfactory.keras_side.audit", "audit"),
}

__all__ = [
    "Finding", "InvalidInput", "LayerFactory", "Policy", "PolicyViolation", "PolicyfactoryError",
    "SharedComponent", "audit", "build_model", "load_policy", "register_component", "register_layer",
    "validate",
]


def __getattr__(name: str):
    """Import Keras-side names lazily, so `import policyfactory` stays TensorFlow-free."""
    target = _KERAS_SIDE.get(name)
    if target is None:
        raise AttributeError(f"module 'policyfactory' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(target[0])
    value = getattr(module, target[1])
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
