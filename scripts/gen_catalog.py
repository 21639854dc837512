"""Regenerate policyfactory/core/catalog.json from the installed Keras 3.

Why a generated file: validation must not import Keras, yet it must know every
layer type, its constructor arguments and its component slots, and every
built-in initializer, regularizer and constraint. This script reads them from
the installed Keras; `tests/test_catalog_drift.py` fails when they disagree.

Usage: ``make catalog`` (or ``python scripts/gen_catalog.py [--check]``); on JAX and PyTorch, in a venv without
TensorFlow, ``KERAS_BACKEND=jax python scripts/gen_catalog.py --measure-backend`` first (scripts/measured/).
"""

from __future__ import annotations

import inspect
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "policyfactory", "core", "catalog.json")
MEASURED = os.path.join(HERE, "measured")  # facts measured on the other backends themselves (--measure-backend)

# Layers that would run code given as data, abstract bases, and the input layer
# (the model file says `input:` / `inputs:` instead).
EXCLUDED = {
    "Lambda": "runs a Python function given as data",
    "TFSMLayer": "loads and runs a TensorFlow SavedModel",
    "JaxLayer": "runs a JAX function given as data",
    "FlaxLayer": "runs a Flax module given as data",
    "TorchModuleWrapper": "runs a PyTorch module given as data",
    "Layer": "abstract base class",
    "Wrapper": "abstract base class",
    "InputLayer": "use `input:` or `inputs:` in a model file",
}
# Constructor arguments that take other layers (built from nested layer specs).
LAYER_PARAMS = {"layer", "backward_layer", "cell", "cells", "layers"}
# Types of required arguments that have no default to infer a type from.
REQUIRED_TYPES = {
    "units": "int", "filters": "int", "num_heads": "int", "key_dim": "int",
    "input_dim": "int", "output_dim": "int", "n": "int", "head_dim": "int",
    "num_query_heads": "int", "num_key_value_heads": "int", "num_bins": "int",
    "max_number": "int", "rate": "float", "stddev": "float",
}
# Types inferred from an int default that Keras does not mean (class, argument) -> type: axes that Keras
# documents as "an int or a list/tuple of ints" (and writes as a list in configs, e.g. EfficientNet's
# Normalization(axis=[3]), MaxNorm(axis=[0, 1, 2]) for a conv kernel), and MaxNorm's norm, any number.
TYPE_OVERRIDES = {("Normalization", "axis"): "int-list", ("LayerNormalization", "axis"): "int-list",
                  ("RMSNormalization", "axis"): "int-list", ("Softmax", "axis"): "int-list",
                  ("UnitNormalization", "axis"): "int-list", ("MaxNorm", "axis"): "int-list",
                  ("MinMaxNorm", "axis"): "int-list", ("UnitNorm", "axis"): "int-list",
                  ("MaxNorm", "max_value"): "float"}
SLOT_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
LAYER_MODULE = "keras.layers"
# Where Keras's own models define layers of their own (LayerScale, CustomScaleLayer): every Layer class a module
# of this package defines is a catalog type too, made from its module (the catalog entry's `module`).
APPLICATIONS_PACKAGE = "keras.src.applications"
ABSTRACT_COMPONENTS = {"Initializer", "Regularizer", "Constraint"}


def _jsonable(value):
    try:
        json.dumps(value)
        return True
    except (TypeError, ValueError):
        return False


def _param_info(p: inspect.Parameter) -> dict:
    if p.default is inspect.Parameter.empty:
        return {"required": True}
    d = p.default
    info: dict = {}
    if isinstance(d, tuple):
        d = list(d)
    if _jsonable(d):
        info["default"] = d
    else:
        info["default_repr"] = repr(d)
    if isinstance(d, bool):
        info["type"] = "bool"
    elif isinstance(d, int):
        info["type"] = "int"
    elif isinstance(d, float):
        info["type"] = "float"
    return info


def _component_name(obj, by_class) -> str | None:
    if obj is None:
        return None
    return by_class.get(type(obj))


def _signature_params(cls) -> dict:
    sig = inspect.signature(cls.__init__)
    return {n: _param_info(p) for n, p in sig.parameters.items()
            if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _components() -> dict:
    """Every built-in initializer, regularizer and constraint: aliases, arguments, random or not."""
    from keras.src import constraints, initializers, regularizers
    from keras.src.initializers.random_initializers import RandomInitializer

    components: dict = {}
    for kind, registry in (
        ("initializer", initializers.ALL_OBJECTS_DICT),
        ("regularizer", regularizers.ALL_OBJECTS_DICT),
        ("constraint", constraints.ALL_OBJECTS_DICT),
    ):
        by_cls: dict = {}
        for alias, cls in registry.items():
            by_cls.setdefault(cls, []).append(alias)
        entries = {}
        for cls, names in by_cls.items():
            if cls.__name__ in ABSTRACT_COMPONENTS:
                continue
            random = kind == "initializer" and issubclass(cls, RandomInitializer)
            params = _signature_params(cls)
            for n in params:
                if (cls.__name__, n) in TYPE_OVERRIDES:
                    params[n]["type"] = TYPE_OVERRIDES[cls.__name__, n]
            entries[cls.__name__] = {
                "aliases": sorted(n for n in names if n != cls.__name__),
                "params": params,
                "random": random,
                "stateless": not random,
            }
        components[kind] = dict(sorted(entries.items()))
    return components


def _exported_layers() -> dict:
    """Layer class -> the names keras.layers exports it under."""
    import keras
    from keras import layers as kl

    exported: dict = {}
    for name in dir(kl):
        obj = getattr(kl, name)
        if not name.startswith("_") and inspect.isclass(obj) and issubclass(obj, keras.layers.Layer):
            exported.setdefault(obj, []).append(name)
    return exported


def _application_layers() -> dict:
    """Layer class -> the module of keras.applications that defines it (classes no keras.layers name exports)."""
    import importlib
    import pkgutil

    import keras

    package = importlib.import_module(APPLICATIONS_PACKAGE)
    found: dict = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{APPLICATIONS_PACKAGE}.{info.name}")
        for _, obj in sorted(vars(module).items()):
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, keras.layers.Layer) \
                    and not issubclass(obj, keras.Model):
                found[obj] = module.__name__
    return found


def _layer_entry(cls, base_params: dict, components: dict) -> dict:
    """Arguments, required ones, component slots (with Keras's default component) and wrapped-layer arguments."""
    sig = inspect.signature(cls.__init__)
    params: dict = {}
    has_kwargs = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    for n, p in sig.parameters.items():
        if n == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        params[n] = _param_info(p)
        if n in REQUIRED_TYPES and params[n].get("required"):
            params[n]["type"] = REQUIRED_TYPES[n]
        if (cls.__name__, n) in TYPE_OVERRIDES:
            params[n]["type"] = TYPE_OVERRIDES[cls.__name__, n]
    if has_kwargs:
        for n, info in base_params.items():
            params.setdefault(n, info)
    slots = {}
    for n in params:
        if n.endswith(SLOT_SUFFIXES):
            role, kind = n.rsplit("_", 1)
            slots[n] = {"kind": kind, "role": role}
            default = params[n].get("default")
            for cname, entry in components[kind].items():
                if isinstance(default, str) and (default == cname or default in entry["aliases"]):
                    slots[n]["default"] = cname
    return {
        "class": cls.__name__,
        "params": params,
        "required": [n for n, i in params.items() if i.get("required")],
        "slots": slots,
        "layer_params": sorted(LAYER_PARAMS & set(params)),
    }


# Backends other than TensorFlow whose refusals are measured here (the backends CI runs the Keras side on).
OTHER_BACKENDS = ("jax", "torch")
# Refusals that cannot be measured under TensorFlow, measured on the backend itself (Keras 3.15.1, torch 2.13.0 CPU,
# no TensorFlow): Discretization checks `keras.src.backend.SUPPORTS_SPARSE_TENSORS`, a constant of the backend
# module loaded at import, before it checks `output_mode`. tests/test_backends.py re-measures every refusal on the
# backend it runs on and fails when this table and Keras disagree.
MEASURED_ON_THE_BACKEND = {
    "torch": {"Discretization": [{"argument": "sparse", "value": True,
                                  "message": "`sparse=True` cannot be used with backend torch"}]},
}


def _refusal(make, unmeasurable: tuple = ()) -> str | None:
    """Keras's message when `make()` raises, else None (also when it raises one of `unmeasurable`)."""
    try:
        make()
    except unmeasurable:
        return None
    except Exception as exc:  # what Keras refuses, whatever the exception type
        return " ".join(str(exc).split())
    return None


def backend_facts(layers: dict) -> dict:
    """What builds on TensorFlow and not on another backend, measured here with TensorFlow installed.

    `needs_tensorflow`: the layer types whose constructor refuses to run when TensorFlow cannot be imported (Keras's
    `keras.src.utils.module_utils.tensorflow.available` forced to False while each type is made with the probe's
    base arguments). `refused_arguments`: per backend, a flipped boolean argument the layer accepts on TensorFlow
    and refuses with Keras's backend name set to that backend (`keras.src.backend.config._BACKEND`, read by
    `keras.backend.backend()`; only constructors are run under it, and one that imports that backend's package
    is not measured).

    Measured on the real backends with Keras 3.15.1, jax 0.10.2 and torch 2.13.0 (CPU), without TensorFlow:
    exactly these five layer types fail to construct (ImportError "Layer X requires TensorFlow"), and
    BatchNormalization(synchronized=True) is refused on both; `tests/test_backends.py` re-measures both facts on the
    backend it runs on (`make test-backends`), so a Keras release that changes them fails CI there.
    """
    from keras.src.backend import config as backend_config
    from keras.src.utils import module_utils
    from probe_keras import Prober

    prober = Prober(layers, [])
    tf_module = module_utils.tensorflow
    saved = tf_module._available
    tf_module._available = False
    try:
        needs = {name: why for name in sorted(layers) if (why := _refusal(lambda n=name: prober.make(n)))}
    finally:
        tf_module._available = saved
    flips = [(name, arg, not info["default"]) for name in sorted(layers) if name not in needs
             for arg, info in layers[name]["params"].items() if isinstance(info.get("default"), bool)]
    on_tf = {(n, a): _refusal(lambda n=n, a=a, v=v: prober.make(n, {a: v})) for n, a, v in flips}
    refused: dict = {}
    for backend in OTHER_BACKENDS:
        saved_backend, backend_config._BACKEND = backend_config._BACKEND, backend
        try:
            for name, arg, value in flips:
                # a constructor that imports the backend's own package (jax, torch) cannot be run here: not measured
                why = _refusal(lambda n=name, a=arg, v=value: prober.make(n, {a: v}), (ImportError,))
                if why is not None and on_tf[name, arg] is None and backend_config.backend() == backend:
                    refused.setdefault(backend, {}).setdefault(name, []).append(
                        {"argument": arg, "value": value, "message": why})
        finally:
            backend_config._BACKEND = saved_backend
    for backend, by_layer in MEASURED_ON_THE_BACKEND.items():
        for name, entries in by_layer.items():
            refused.setdefault(backend, {}).setdefault(name, []).extend(entries)
    refused = {b: dict(sorted(by_layer.items())) for b, by_layer in sorted(refused.items())}
    return {"needs_tensorflow": needs, "refused_arguments": refused, "in_pipeline": measured_in_pipeline()}


def measured_in_pipeline() -> dict:
    """backend -> {layer type: ranks inside a Pipeline}, as `--measure-backend` wrote them on each backend itself
    (scripts/measured/BACKEND.json): Keras's Pipeline traces its layers in training mode with the backend's own
    tensors, so which ranks an augmentation takes there differs between TensorFlow, JAX and PyTorch."""
    out = {}
    for backend in OTHER_BACKENDS:
        with open(os.path.join(MEASURED, f"{backend}.json"), encoding="utf-8") as fh:
            out[backend] = json.load(fh)["in_pipeline"]
    return out


def measure_backend() -> int:
    """Write scripts/measured/BACKEND.json on the backend this process runs (KERAS_BACKEND=jax or torch, in a venv
    without TensorFlow, as `.ci/backends` makes): the ranks each layer type takes inside a Pipeline there. Run it
    after the catalog changes, then `make catalog` (tests/test_backends.py re-measures on CI's backend runs)."""
    import keras
    from probe_keras import pipeline_table

    backend = keras.backend.backend()
    if backend not in OTHER_BACKENDS:
        print(f"--measure-backend runs on {', '.join(OTHER_BACKENDS)} (KERAS_BACKEND), not {backend}", file=sys.stderr)
        return 2
    with open(OUT, encoding="utf-8") as fh:
        shipped = json.load(fh)
    table = pipeline_table(shipped["layers"], frozenset(shipped["backends"]["needs_tensorflow"]))
    os.makedirs(MEASURED, exist_ok=True)
    path = os.path.join(MEASURED, f"{backend}.json")
    with open(path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump({"keras_version": keras.__version__, "backend": backend, "in_pipeline": table}, fh, indent=1)
        fh.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {os.path.relpath(path)}: {len(table)} layer types take other ranks inside a Pipeline on {backend}")
    return 0


def build_catalog(probe: bool | list[str] = True) -> dict:
    """The catalog; with `probe`, each layer's `probe` (what Keras refuses, scripts/probe_keras.py) for every
    layer type (True) or the ones named."""
    import keras
    from keras import activations

    components = _components()
    base_params = _signature_params(keras.layers.Layer)
    # Accepted by Layer.__init__ through **kwargs.
    base_params["input_shape"] = {"default": None}
    base_params["input_dim"] = {"default": None}

    layers: dict = {}
    aliases: dict = {}
    excluded: dict = {}
    for cls, names in _exported_layers().items():
        canonical = cls.__name__ if cls.__name__ in names else sorted(names)[0]
        if canonical in EXCLUDED:
            for n in names:
                excluded[n] = EXCLUDED[canonical]
            continue
        layers[canonical] = _layer_entry(cls, base_params, components)
        aliases.update({n: canonical for n in names if n != canonical})
    for cls, module in _application_layers().items():
        if cls.__name__ not in layers:
            layers[cls.__name__] = {**_layer_entry(cls, base_params, components), "module": module}

    if probe:
        from probe_keras import probe_all

        probes = probe_all(layers, None if probe is True else probe)
        for name, knowledge in probes.items():
            layers[name]["probe"] = knowledge
    acts = sorted(
        n for n in dir(activations)
        if not n.startswith("_") and n not in {"get", "serialize", "deserialize"}
    )
    return {
        "generated_by": "scripts/gen_catalog.py",
        "keras_version": keras.__version__,
        "backends": backend_facts(layers),
        "layers": dict(sorted(layers.items())),
        "layer_aliases": dict(sorted(aliases.items())),
        "excluded_layers": dict(sorted(excluded.items())),
        "components": components,
        "activations": acts,
    }


def main(argv: list[str]) -> int:
    if "--measure-backend" in argv:
        return measure_backend()
    data = build_catalog()
    text = json.dumps(data, indent=1, sort_keys=False) + "\n"
    if "--check" in argv:
        with open(OUT, encoding="utf-8") as fh:
            same = fh.read() == text
        print("catalog is up to date" if same else "catalog differs from the installed Keras: run make catalog")
        return 0 if same else 1
    tmp = OUT + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, OUT)
    print(f"wrote {os.path.relpath(OUT)}: {len(data['layers'])} layer types, "
          f"{sum(len(v) for v in data['components'].values())} component classes (Keras {data['keras_version']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
