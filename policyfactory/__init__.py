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

__all__ = [
    "Finding", "InvalidInput", "LayerFactory", "Policy", "PolicyViolation", "PolicyfactoryError",
    "SharedComponent", "audit", "build_model", "load_policy", "register_component", "register_layer",
    "validate",
]


def __getattr__(name: str):
    """Import Keras-side names on first use, so `import policyfactory` stays TensorFlow-free."""
    if name in ("LayerFactory", "SharedComponent"):
        from .keras_side import factory as module
    elif name == "build_model":
        from .keras_side import building as module
    elif name in ("register_component", "register_layer"):
        from .keras_side import registry as module
    elif name == "audit":
        from .keras_side import audit as module
    else:
        raise AttributeError(f"module 'policyfactory' has no attribute {name!r}")
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
