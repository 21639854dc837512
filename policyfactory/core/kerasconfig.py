"""A Keras config (a saved model's `config.json` tree) walked as data: its layers and their component arguments.

A saved Keras model describes itself as nested `{"class_name": ..., "config": {...}}`
objects: a functional or sequential model lists its layers, a wrapper holds its
layer (`Bidirectional`, `TimeDistributed`), an `RNN` its cell, a custom layer
whatever it was given. Every such object whose config has a `name` and says
whether it is `trainable` is a layer, wherever it sits; its path is the chain of
layer names from the model down (the model itself is not named, as in Keras's
variable paths). Every key ending in `_initializer`, `_regularizer` or
`_constraint` is a component argument, read by `resolve.parse_component`.
Nothing is imported or deserialized: unknown and custom classes are data like
any other. The file audit (`fileaudit.configwalk`) and export
(`exporttranslate`) both read configs through this module.

    >>> cfg = {"class_name": "Functional", "config": {"name": "m", "trainable": True, "layers": [
    ...     {"class_name": "Dense", "config": {"name": "d", "trainable": True,
    ...      "kernel_initializer": {"class_name": "HeNormal", "config": {"seed": 1}}}}]}}
    >>> layers = walk_layers(cfg)
    >>> [(lc.path, lc.class_name) for lc in layers.values()]
    [((), 'Functional'), (('d',), 'Dense')]
    >>> [(arg, w.class_name, w.settings) for arg, w in layers[("d",)].components()]
    [('kernel_initializer', 'HeNormal', {'seed': 1})]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .catalog import KINDS
from .records import record
from .resolve import Written, parse_component

# Keys whose values are never layers of the model: how it was compiled and built, its graph, dtype policies.
_NOT_LAYERS = frozenset({"compile_config", "build_config", "inbound_nodes", "input_layers", "output_layers",
                         "dtype", "dtype_policy", "optimizer", "optimizer_config", "loss", "metrics"})
_SUFFIXES = tuple(f"_{kind}" for kind in KINDS)
MODEL_CLASSES = ("Functional", "Sequential", "Model")
MAX_LAYERS = 1_000_000


def component_kind(arg: Any) -> str | None:
    """The component kind an argument name takes (`kernel_initializer` -> initializer), else None."""
    if isinstance(arg, str) and arg.endswith(_SUFFIXES):
        return arg.rsplit("_", 1)[1]
    return None


def component_args(config: dict) -> Iterator[tuple[str, Written]]:
    """(argument, component as written) for every filled component argument of a layer config (lenient)."""
    for arg, value in config.items():
        kind = component_kind(arg)
        if kind is not None:
            written, _ = parse_component(kind, value)
            if written is not None:
                yield arg, written


@record
class LayerConfig:
    """One layer of a saved config: its path, class and config, and the layer it counts as for scope."""

    path: tuple[str, ...]
    class_name: str
    config: dict[str, Any]
    owner: tuple[str, ...]

    @property
    def name(self) -> str:
        return "/".join(self.path)

    def components(self) -> Iterator[tuple[str, Written]]:
        """(argument, component as written) for every filled component argument."""
        return component_args(self.config)


def layer_name(entry: Any) -> str:
    """A serialized layer's name (from its config, else the entry): config.json is data, maybe malformed."""
    if not isinstance(entry, dict):
        return "?"
    cfg = entry.get("config")
    name = cfg.get("name", entry.get("name")) if isinstance(cfg, dict) else entry.get("name")
    return name if isinstance(name, str) else str(name)


def is_keras(module: Any, registered: Any, cls: str, expected: str | None = None) -> bool:
    """A Keras built-in: its own module (`expected`, else any `keras.` module), and no registered name of its own
    (custom classes have one)."""
    if registered not in (None, cls):
        return False
    if expected is not None:
        return module == expected
    return isinstance(module, str) and (module == "keras" or module.startswith("keras."))


def _is_layer(value: dict) -> bool:
    cfg = value.get("config")
    return (isinstance(value.get("class_name"), str) and isinstance(cfg, dict)
            and isinstance(cfg.get("name"), str) and "trainable" in cfg)


def _is_container(class_name: str, config: dict) -> bool:
    return class_name in MODEL_CLASSES or isinstance(config.get("layers"), list)


def walk_layers(root: Any) -> dict[tuple[str, ...], LayerConfig]:
    """Every layer config under `root`, by path (the root model's path is ()): nested models, wrapped
    layers and cells included."""
    out: dict[tuple[str, ...], LayerConfig] = {}
    # (value, path of the enclosing layer, owner of the enclosing layer, whether value is the root)
    stack: list[tuple[Any, tuple[str, ...], tuple[str, ...] | None, bool]] = [(root, (), None, True)]
    while stack:
        value, path, owner, is_root = stack.pop()
        if isinstance(value, list):
            stack.extend((v, path, owner, False) for v in reversed(value))
            continue
        if not isinstance(value, dict):
            continue
        children: Any = value
        if _is_layer(value) or (is_root and isinstance(value.get("config"), dict)):
            cfg = value["config"]
            here = () if is_root else path + (str(cfg.get("name")),)
            container = _is_container(value["class_name"], cfg) if isinstance(value.get("class_name"), str) else True
            mine = owner if owner is not None else (None if container else here)
            if here not in out and len(out) < MAX_LAYERS:
                out[here] = LayerConfig(here, str(value.get("class_name")), cfg, mine if mine is not None else here)
            path, owner, children = here, mine, cfg
        stack.extend((v, path, owner, False) for k, v in reversed(list(children.items()))
                     if k not in _NOT_LAYERS and component_kind(k) is None)
    return out  # depth first, in the config's order
