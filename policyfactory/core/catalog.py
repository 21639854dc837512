"""The one catalog that validation and the factory both read.

Why data: validation must know every Keras layer type, its arguments and its
component slots without importing Keras (5 s, 500 MB). `catalog.json` is
generated from the installed Keras by `scripts/gen_catalog.py` and checked
against it by `tests/test_catalog_drift.py`, so it cannot drift.

It is also the closed registry: a name in a YAML file means something only if
it is in this catalog, or was registered from Python with
`policyfactory.register_component` / `policyfactory.register_layer`. The
catalog holds names and data only; the Keras classes of registered entries
live on the Keras side. Registration never mutates the shipped catalog: it
activates an extended copy for the current context (`use_catalog`), which the
registration's `with` block restores.

Example::

    >>> cat = catalog()
    >>> cat.layer("Convolution2D").name
    'Conv2D'
    >>> cat.component("initializer", "he_normal").name
    'HeNormal'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from functools import lru_cache

from .records import field, record, replace

KINDS = ("initializer", "regularizer", "constraint")
ROLES = (
    "kernel", "bias", "recurrent", "embeddings", "depthwise", "pointwise",
    "gamma", "beta", "moving_mean", "moving_variance", "alpha", "activity",
)
_HERE = os.path.dirname(os.path.abspath(__file__))


@record(frozen=True)
class Slot:
    """One component slot of a layer type: its constructor argument, kind, role and default."""

    arg: str  # e.g. "kernel_initializer"
    kind: str  # initializer | regularizer | constraint
    role: str  # e.g. "kernel"
    default: str | None = None  # canonical component class Keras uses when none is given


@record
class LayerType:
    """A layer class the catalog knows: its parameters, slots and the sublayers it takes."""

    name: str
    params: dict[str, dict]
    required: list[str]
    slots: dict[str, Slot]
    layer_params: list[str]
    registered: bool = False
    probe: dict = field(default_factory=dict)  # what Keras refuses, as probed (policyfactory/core/layerinfo.py)
    declared: str = ""  # "module:Class" of a class the project declared as data (settings `layers`); "" otherwise
    module: str = "keras.layers"  # where Keras defines it: keras.layers, or a module of keras.applications


@record
class ComponentType:
    """An initializer, regularizer or constraint class: its parameters and whether it draws a random stream."""

    kind: str
    name: str
    aliases: list[str]
    params: dict[str, dict]
    random: bool
    stateless: bool
    registered: bool = False


@record
class Catalog:
    """Every layer and component class a file may name, generated from the installed Keras."""

    keras_version: str
    layers: dict[str, LayerType]
    layer_aliases: dict[str, str]
    excluded_layers: dict[str, str]
    components: dict[str, dict[str, ComponentType]]
    activations: list[str]
    # measured by scripts/gen_catalog.py `backend_facts`: layer type -> Keras's refusal without TensorFlow, and
    # backend -> layer type -> [{argument, value, message}] that backend refuses and TensorFlow accepts
    needs_tensorflow: dict[str, str] = field(default_factory=dict)
    refused_arguments: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    # backend -> layer type -> {input rank: output rank} inside a Pipeline, measured on JAX and PyTorch themselves
    # (TensorFlow's is each layer's probe `in_pipeline`)
    in_pipeline: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    _component_index: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._reindex()

    def _reindex(self) -> None:
        self._component_index = {}
        for kind, entries in self.components.items():
            idx = {}
            for name, entry in entries.items():
                idx[name] = name
                for a in entry.aliases:
                    idx.setdefault(a, name)
            self._component_index[kind] = idx

    # -- layers --------------------------------------------------------------
    def layer(self, name: object) -> LayerType | None:
        """The layer type for a name or alias (`Convolution2D` -> Conv2D), else None."""
        if not isinstance(name, str):
            return None
        name = self.layer_aliases.get(name, name)
        return self.layers.get(name)

    def layer_names(self) -> list[str]:
        return sorted(set(self.layers) | set(self.layer_aliases))

    # -- components ------------------------------------------------------------
    def component(self, kind: str, name: object) -> ComponentType | None:
        """The component class for a class name or snake_case alias, else None."""
        if not isinstance(name, str):
            return None
        canonical = self._component_index.get(kind, {}).get(name)
        return self.components[kind][canonical] if canonical else None

    def component_any_kind(self, name: str) -> ComponentType | None:
        for kind in KINDS:
            c = self.component(kind, name)
            if c is not None:
                return c
        return None

    def component_names(self, kind: str) -> list[str]:
        return sorted(self._component_index.get(kind, {}))

    # -- registration from Python: new catalogs, never a changed one -------------
    def with_layer(self, entry: LayerType) -> Catalog:
        """A copy of this catalog that also knows `entry`."""
        return replace(self, layers={**self.layers, entry.name: entry})

    def with_component(self, entry: ComponentType) -> Catalog:
        """A copy of this catalog that also knows `entry`."""
        components = {k: dict(v) for k, v in self.components.items()}
        components[entry.kind][entry.name] = entry
        return replace(self, components=components)


def declared_layer(name: str, declaration: dict) -> LayerType:
    """A layer type from a project's declaration (settings `layers.NAME`, as `policyfactory declare` writes it).

        >>> lt = declared_layer("Scale", {"module": "mypkg.layers", "class": "Scale",
        ...     "params": {"units": {"required": True}, "kernel_initializer": {"default": "he_normal"}},
        ...     "slots": {"kernel_initializer": {"kind": "initializer", "role": "kernel", "default": "HeNormal"}}})
        >>> lt.required, lt.slots["kernel_initializer"].default, lt.declared
        (['units'], 'HeNormal', 'mypkg.layers:Scale')
    """
    params = {n: {k: v for k, v in p.items() if k in ("required", "default", "type") and v is not None}
              for n, p in declaration.get("params", {}).items()}
    for p in params.values():
        if not p.get("required"):
            p.pop("required", None)
            p.setdefault("default", None)
    slots = {n: Slot(n, s["kind"], s["role"], s.get("default")) for n, s in declaration.get("slots", {}).items()}
    return LayerType(name, params, [n for n, p in params.items() if p.get("required")], slots, [], registered=True,
                     declared=f"{declaration['module']}:{declaration['class']}")


def with_declared(cat: Catalog, declarations: dict[str, dict]) -> Catalog:
    """`cat` extended with the project's declared layer classes (names the catalog has are refused earlier)."""
    for name, declaration in declarations.items():
        cat = cat.with_layer(declared_layer(name, declaration))
    return cat


def article(word: str) -> str:
    """'an initializer', 'a constraint'."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _from_json(data: dict) -> Catalog:
    layers = {}
    for name, e in data["layers"].items():
        slots = {
            arg: Slot(arg, s["kind"], s["role"], s.get("default"))
            for arg, s in e["slots"].items()
        }
        layers[name] = LayerType(name, e["params"], e["required"], slots, e["layer_params"], probe=e.get("probe", {}),
                                 module=e.get("module", "keras.layers"))
    components = {
        kind: {
            name: ComponentType(kind, name, e["aliases"], e["params"], e["random"], e["stateless"])
            for name, e in entries.items()
        }
        for kind, entries in data["components"].items()
    }
    return Catalog(
        data["keras_version"], layers, data["layer_aliases"], data["excluded_layers"],
        components, data["activations"], data.get("backends", {}).get("needs_tensorflow", {}),
        data.get("backends", {}).get("refused_arguments", {}), data.get("backends", {}).get("in_pipeline", {}),
    )


@lru_cache(maxsize=1)
def shipped_catalog() -> Catalog:
    """The catalog generated from Keras (`catalog.json`); never changed after loading."""
    with open(os.path.join(_HERE, "catalog.json"), encoding="utf-8") as fh:
        return _from_json(json.load(fh))


_ACTIVE: ContextVar[Catalog | None] = ContextVar("policyfactory_catalog", default=None)


def catalog() -> Catalog:
    """The catalog in force: the shipped one, or one activated by `use_catalog` / a registration."""
    return _ACTIVE.get() or shipped_catalog()


@contextmanager
def use_catalog(cat: Catalog) -> Iterator[Catalog]:
    """Make `cat` the catalog in force inside the block, and restore the previous one after it.

        >>> extended = catalog().with_layer(LayerType("MyLayer", {}, [], {}, []))
        >>> with use_catalog(extended):
        ...     catalog().layer("MyLayer") is not None
        True
        >>> catalog().layer("MyLayer") is None
        True
    """
    token = _ACTIVE.set(cat)
    try:
        yield cat
    finally:
        _ACTIVE.reset(token)


def activate(cat: Catalog) -> Token:
    """Make `cat` the catalog in force from now on in this context; returns a token for `deactivate`."""
    return _ACTIVE.set(cat)


def deactivate(token: Token) -> None:
    _ACTIVE.reset(token)
