"""The layers and component slots of a saved model's config, read as JSON data, for the file audit.

The walk itself (which objects are layers, their paths, their component
arguments) is the core's (`core.kerasconfig`); this module adds what the audit
asks of it: each filled slot with its role and sharing-group key, and the config
behind a saved variable's layer path.

    >>> from policyfactory.core.kerasconfig import walk_layers
    >>> cfg = {"class_name": "Functional", "config": {"name": "m", "trainable": True, "layers": [
    ...     {"class_name": "Dense", "config": {"name": "d", "trainable": True,
    ...      "kernel_initializer": {"class_name": "HeNormal", "config": {"seed": 1}}}}]}}
    >>> [(s.path, s.class_name, s.key) for s in slot_uses(walk_layers(cfg))]
    [('d.kernel_initializer', 'HeNormal', 'seed:truncated_normal:1')]
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.catalog import catalog
from ..core.kerasconfig import LayerConfig
from ..core.plan import group_key
from ..core.resolve import parse_component
from .engine import SlotUse
from .layout import CHILD_LAYOUTS


def component_of(kind: str, value: Any) -> tuple[str, dict] | None:
    """(canonical class name, config) of a serialized component, or None for an empty slot (lenient:
    an unknown class keeps the name it was written with)."""
    written, _ = parse_component(kind, value)
    return (written.class_name, written.settings) if written is not None else None


def layer_slots(lc: LayerConfig) -> Iterator[tuple[str, str, str, str, dict]]:
    """(arg, kind, role, component class, component config) for every filled slot of a layer."""
    lt = catalog().layer(lc.class_name)
    for arg, written in lc.components():
        slot = lt.slots.get(arg) if lt is not None else None
        role = slot.role if slot is not None else arg[: -len(written.kind) - 1]
        yield arg, written.kind, role, written.class_name, written.settings


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
