"""Explicit Python registration: the only way to add names to the closed catalog.

    >>> import keras, policyfactory as pf
    >>> @keras.saving.register_keras_serializable("demo")
    ... class Scaled(keras.constraints.Constraint):
    ...     def __init__(self, factor=1.0):
    ...         self.factor = factor
    ...     def __call__(self, w):
    ...         return w * self.factor
    ...     def get_config(self):
    ...         return {"factor": self.factor}
    >>> pf.register_component("constraint", Scaled).name
    'Scaled'
"""

from __future__ import annotations

import inspect

import keras

from ..core.catalog import KINDS, ComponentType, LayerType, Slot, catalog
from ..core.naming import snake_case

_BASES = {
    "initializer": keras.initializers.Initializer,
    "regularizer": keras.regularizers.Regularizer,
    "constraint": keras.constraints.Constraint,
}
_SUFFIXES = ("_initializer", "_regularizer", "_constraint")


def _params(cls) -> dict:
    out = {}
    for n, p in inspect.signature(cls.__init__).parameters.items():
        if n == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        out[n] = {"required": True} if p.default is inspect.Parameter.empty else {"default": None}
    return out


def register_component(kind: str, cls: type) -> ComponentType:
    """Make a custom initializer, regularizer or constraint class usable by name.

    The class must subclass Keras's base class of that kind. Files may then name
    it (`class_name: MyInit`, or its snake_case alias). Register it with Keras too
    (`keras.saving.register_keras_serializable`) so saved models load.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not (inspect.isclass(cls) and issubclass(cls, _BASES[kind])):
        raise TypeError(f"{cls!r} is not a subclass of keras {kind} base class {_BASES[kind].__name__}")
    from keras.src.initializers.random_initializers import RandomInitializer

    random = kind == "initializer" and issubclass(cls, RandomInitializer)
    entry = ComponentType(kind, cls.__name__, [snake_case(cls.__name__)], _params(cls), random,
                          stateless=not random, registered=True, cls=cls)
    catalog().add_component(entry)
    return entry


def register_layer(cls: type) -> LayerType:
    """Make a custom layer class usable by type name; its slots are read from its constructor."""
    if not (inspect.isclass(cls) and issubclass(cls, keras.layers.Layer)):
        raise TypeError(f"{cls!r} is not a keras.layers.Layer subclass")
    params = _params(cls)
    sig = inspect.signature(cls.__init__)
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
    entry = LayerType(cls.__name__, params, [n for n, i in params.items() if i.get("required")], slots, [],
                      registered=True, cls=cls)
    catalog().add_layer(entry)
    return entry
