"""The layers and component slots of a saved model's config, read as JSON data.

A saved Keras model describes itself as nested `{"class_name": ..., "config": {...}}`
objects: a functional or sequential model lists its layers, a wrapper holds its
layer (`Bidirectional`, `TimeDistributed`), an `RNN` its cell, a custom layer
whatever it was given. Every such object whose config has a `name` and says
whether it is `trainable` is a layer, wherever it sits; its path is the chain of
layer names from the model down (the model itself is not named, as in Keras's
variable paths). Every key ending in `_initializer`, `_regularizer` or
`_constraint` is a slot. Nothing is imported or deserialized: unknown and
custom classes are data like any other.

    >>> cfg = {"class_name": "Functional", "config": {"name": "m", "trainable": True, "layers": [
    ...     {"class_name": "Dense", "config": {"name": "d", "trainable": True,
    ...      "kernel_initializer": {"class_name": "HeNormal", "config": {"seed": 1}}}}]}}
    >>> layers = walk_layers(cfg)
    >>> [(lc.path, lc.class_name) for lc in layers.values()]
    [((), 'Functional'), (('d',), 'Dense')]
    >>> [(s.path, s.class_name, s.key) for s in slot_uses(layers)]
    [('d.kernel_initializer', 'HeNormal', 'seed:1')]
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core.catalog import KINDS, catalog
from ..core.plan import group_key
from .engine import SlotUse
from .layout import CHILD_LAYOUTS

# Keys whose values are never layers of the model: how it was compiled and built, its graph, dtype policies.
_NOT_LAYERS = frozenset({"compile_config", "build_config", "inbound_nodes", "input_layers", "output_layers",
                         "dtype", "dtype_policy", "optimizer", "optimizer_config", "loss", "metrics"})
_SUFFIXES = tuple(f"_{kind}" for kind in KINDS)
CONTAINERS = frozenset({"Functional", "Sequential", "Model"})
MAX_LAYERS = 1_000_000


@dataclass
class LayerConfig:
    """One layer of a saved config: its path, class and config, and the layer it counts as for scope."""

    path: tuple[str, ...]
    class_name: str
    config: dict[str, Any]
    owner: tuple[str, ...]

    @property
    def name(self) -> str:
        return "/".join(self.path)


def _is_layer(value: dict) -> bool:
    cfg = value.get("config")
    return (isinstance(value.get("class_name"), str) and isinstance(cfg, dict)
            and isinstance(cfg.get("name"), str) and "trainable" in cfg)


def _is_container(class_name: str, config: dict) -> bool:
    return class_name in CONTAINERS or isinstance(config.get("layers"), list)


def walk_layers(root: Any) -> dict[tuple[str, ...], LayerConfig]:
    """Every layer config under `root`, by path (the root model's path is ())."""
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
                     if k not in _NOT_LAYERS and not (isinstance(k, str) and k.endswith(_SUFFIXES)))
    return out  # depth first, in the config's order


def component_of(kind: str, value: Any) -> tuple[str, dict] | None:
    """(canonical class name, config) of a serialized component, or None for an empty slot."""
    if isinstance(value, str):
        comp = catalog().component(kind, value)
        return (comp.name if comp else value), {}
    if isinstance(value, dict) and isinstance(value.get("class_name"), str):
        cfg = value.get("config")
        comp = catalog().component(kind, value["class_name"])
        return (comp.name if comp else str(value["class_name"])), (cfg if isinstance(cfg, dict) else {})
    return None


def layer_slots(lc: LayerConfig) -> Iterator[tuple[str, str, str, str, dict]]:
    """(arg, kind, role, component class, component config) for every filled slot of a layer."""
    lt = catalog().layer(lc.class_name)
    for arg, value in lc.config.items():
        if not isinstance(arg, str) or not arg.endswith(_SUFFIXES):
            continue
        kind = arg.rsplit("_", 1)[1]
        found = component_of(kind, value)
        if found is None:
            continue
        slot = lt.slots.get(arg) if lt is not None else None
        role = slot.role if slot is not None else arg[: -len(kind) - 1]
        yield arg, kind, role, found[0], found[1]


def slot_uses(layers: dict[tuple[str, ...], LayerConfig]) -> list[SlotUse]:
    """Every filled slot of every layer, with its sharing-group key (explicit initializer seeds only:
    identity sharing does not survive saving)."""
    out = []
    for lc in layers.values():
        if not lc.path:
            continue
        lt = catalog().layer(lc.class_name)
        for arg, kind, role, class_name, cfg in layer_slots(lc):
            key = group_key(kind, class_name, cfg, None)
            seed = cfg.get("seed")
            label = f"{class_name}(seed={seed})" if key is not None else class_name
            out.append(SlotUse(lc.name, lt.name if lt else lc.class_name, arg, kind, role, class_name, key,
                               label, "/".join(lc.owner)))
    return out


def layer_at(layers: dict[tuple[str, ...], LayerConfig], path: tuple[str, ...]) -> tuple[LayerConfig, str] | None:
    """The config that describes the layer at `path`, and the class whose variable layout it has.

    A layer the config lists is itself; a child the config does not list (an LSTM's
    cell, an attention layer's projections) takes its parent's config and the
    child layout of the parent's class; the two directions of a `Bidirectional`
    saved by Keras 2 (which lists only the forward layer) take the wrapped layer's.
    """
    lc = layers.get(path)
    if lc is None and len(path) > 1:
        lc = _direction(layers, path)
    if lc is not None:
        lt = catalog().layer(lc.class_name)
        return lc, lt.name if lt else lc.class_name
    parent = (layers.get(path[:-1]) or (_direction(layers, path[:-1]) if len(path) > 2 else None)) if path else None
    if parent is not None:
        lt = catalog().layer(parent.class_name)
        child = CHILD_LAYOUTS.get(lt.name if lt else parent.class_name)
        if child is not None:
            return parent, child
    return None


def _direction(layers: dict[tuple[str, ...], LayerConfig], path: tuple[str, ...]) -> LayerConfig | None:
    parent = layers.get(path[:-1])
    if parent is None or parent.class_name != "Bidirectional" or not path[-1].startswith(("forward_", "backward_")):
        return None
    wrapped = parent.config.get("layer")
    name = wrapped.get("config", {}).get("name") if isinstance(wrapped, dict) else None
    return layers.get(path[:-1] + (name,)) if isinstance(name, str) else None
