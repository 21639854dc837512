"""`export`: a live Keras model (or a `.keras` file) as a model file, with its sharing made visible.

The model's config is turned into YAML by the TF-free core
(`policyfactory.core.export_yaml`); what only a live model shows is which
slots hold one component object. Those slots become one `shared:` entry
referenced with `{shared: NAME}`, so `validate` judges that sharing against the
policy instead of it disappearing in a save (a `.keras` file keeps no object
identity, and each slot there is exported as its own component).

    >>> import keras, policyfactory as pf
    >>> init = keras.initializers.HeNormal()
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, kernel_initializer=init, name="a"),
    ...                           keras.layers.Dense(4, kernel_initializer=init, name="b")])
    >>> text = pf.export(model)
    >>> from policyfactory.core.yamlload import load_text
    >>> "shared:\\n  he_normal: {initializer: he_normal}" in text
    True
    >>> [f.rule for f in pf.validate(load_text(text).value)]
    ['sharing-violation']
"""

from __future__ import annotations

import json
import os
from typing import Any

import keras
import numpy as np

from ..core.catalog import LayerType, catalog
from ..core.export_yaml import Exported, export_config, export_file
from ..core.findings import Finding, InvalidInput, caller_location
from ..core.rules.tools import EXPORT_UNSUPPORTED
from .introspect import slot_holder
from .registry import layer_class


def export(model: Any, *, policy: str = "strict", seed: int | None = None) -> str:
    """The model file (YAML text) of a live `keras.Model`, or of a `.keras` file given by path.

    `policy` is the policy the file names (default `strict`); `seed`, if given,
    is written as the file's `seed:`. Raises `InvalidInput` (a `ValueError`)
    when the model cannot be exported: a class outside the catalog (bring it in
    with `register_layer` / `register_component`), or a structure the model
    file cannot express (shared layers, nested or subclassed models, Lambda).
    """
    return export_result(model, policy=policy, seed=seed).text


def export_result(model: Any, *, policy: str = "strict", seed: int | None = None) -> Exported:
    """Like `export`, with the exported data and `validate`'s findings on it."""
    if isinstance(model, (str, os.PathLike)):
        return export_file(os.fspath(model), policy=policy, seed=seed)
    if not isinstance(model, keras.Model):
        raise TypeError(f"export takes a keras.Model or a path to a .keras file, got {type(model).__name__}")
    file, line = caller_location()
    serialized = _serialized(model, file, line)
    return export_config(serialized, source=f"the live Keras model '{model.name}'", file=file, line=line,
                         identity=identity_map(model), policy=policy, seed=seed, keras_version=keras.__version__)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"a {type(value).__name__} object")


def _serialized(model: Any, file: str, line: int) -> dict:
    """The model's config as plain JSON data, as a `.keras` file's config.json would hold it."""
    try:
        return json.loads(json.dumps(keras.saving.serialize_keras_object(model), default=_json_default))
    except Exception as exc:  # Keras raises many types for models it cannot serialize
        text = " ".join(str(exc).split())[:300]
        raise InvalidInput(Finding(file, line, 1, EXPORT_UNSUPPORTED,
                                   f"model '{model.name}': its config cannot be read as data: {text}")) from None


def _catalog_type(layer: Any) -> LayerType | None:
    """The catalog type of a live layer, only when its class is exactly that type's class."""
    lt = catalog().layer(type(layer).__name__)
    if lt is None:
        return None
    try:
        return lt if layer_class(lt) is type(layer) else None
    except (AttributeError, KeyError):
        return None


def _sublayers(layer: Any, lt: LayerType, key: str) -> Any:
    if lt.name == "Bidirectional":  # Keras keeps the wrapped layer's copies, not the layer it was given
        return {"layer": layer.forward_layer, "backward_layer": layer.backward_layer}.get(key)
    return getattr(layer, key, None)


def _walk(layer: Any, path: tuple, out: dict[tuple, int]) -> None:
    lt = _catalog_type(layer)
    if lt is None:
        return  # the config export refuses it
    for arg in lt.slots:
        found = slot_holder(layer, arg)
        comp = getattr(*found) if found is not None else None
        if comp is not None:
            out[path + (arg,)] = id(comp)
    for key in lt.layer_params:
        sub = _sublayers(layer, lt, key)
        if isinstance(sub, (list, tuple)):
            for i, s in enumerate(sub):
                _walk(s, path + (key, i), out)
        elif isinstance(sub, keras.layers.Layer):
            _walk(sub, path + (key,), out)


def identity_map(model: Any) -> dict[tuple, int]:
    """Slot path -> id of the component object in it, for every filled slot of every layer (wrapped ones too).

    Paths are those of `export_config`: `(layer name, [sublayer key, [index]]..., slot arg)`.
    """
    out: dict[tuple, int] = {}
    stack = list(reversed(model.layers))
    while stack:
        layer = stack.pop()
        if isinstance(layer, keras.Model):  # a nested model: export writes its layers in its place, by their names
            stack.extend(reversed(layer.layers))
        elif not isinstance(layer, keras.layers.InputLayer):
            _walk(layer, (layer.name,), out)
    return out


__all__ = ["export", "export_result", "identity_map"]
