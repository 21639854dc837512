"""Audit a live Keras model: adapt it into the engine's records, and let the one engine judge.

The engine (`policyfactory/fileaudit/engine.py`, Keras-free) is the same one
the file audit uses; this module only reads a live model into its records:

* **slots** -- every slot of every layer (nested models, wrappers, RNN cells,
  attention projections), found through the layer's catalog type; a subclass
  of a catalog layer (`class MyDense(Dense)`) is matched by its catalog
  ancestor (the first class in its MRO the catalog knows). The sharing-group
  key is the component object (identity sharing is visible only in a live
  model) or, for initializers, the class with its explicit seed;
* **weights** -- every variable of every layer, custom layers included, with
  its path (layer names from the model down, the same paths an audit of the
  saved file gives) and only its leading values: a slice of the variable is
  read, never a full copy.

`tf_keras` (Keras 2) models are read the same way when `tf_keras` is installed.

One finding per cause: a denied group whose weights are drawn from one stream
is one `sharing-violation` carrying the stream evidence. A correlated pair
whose two weights were initialized by one sharing group that the verdict
allows is not reported: the policy (or an `allow:` entry) already
said that this sharing is deliberate. The audit of a model file takes its
verdict from the file's plan, the same one `validate` and `build` read.

    >>> import keras, policyfactory as pf
    >>> init = keras.initializers.HeNormal()
    >>> inp = keras.Input((8,))
    >>> out = keras.layers.Dense(8, kernel_initializer=init)(keras.layers.Dense(8, kernel_initializer=init)(inp))
    >>> [(f.rule, f.data["evidence"]["identical"]) for f in pf.audit(keras.Model(inp, out))]
    [('sharing-violation', True)]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

import keras
import numpy as np

from ..core.catalog import LayerType, Slot, catalog
from ..core.findings import Finding
from ..core.modelfile import ModelSpec
from ..core.plan import Plan, group_key
from ..core.policy import Policy, load_policy
from ..core.records import record
from ..fileaudit.engine import (
    SAMPLE,
    TSAMPLE,
    AuditResult,
    SlotUse,
    WeightSample,
    audit_records,
    leading_values,
    stream_findings,
    transposed_values,
    weight_sample,
)
from ..fileaudit.layout import slot_of
from .introspect import slot_holder
from .registry import registered_layer_types

__all__ = ["AuditResult", "audit", "audit_live", "audit_planned", "live_key"]

KeyOf = Callable[[str, Any], "str | None"]


@record
class LiveLayer:
    layer: Any
    path: tuple[str, ...]  # layer names from the model down (the model itself is not named)
    owner: tuple[str, ...]  # the layer that counts as one layer for within-layer rules
    layer_type: LayerType | None  # its catalog type, or that of its first catalog ancestor

    @property
    def name(self) -> str:
        return "/".join(self.path)


def is_tf_keras(obj: Any) -> bool:
    """Whether `obj` is a tf_keras (Keras 2) object, without importing tf_keras."""
    return any(c.__module__.split(".")[0] == "tf_keras" for c in type(obj).__mro__)


@lru_cache(maxsize=2)
def _catalog_classes(module_name: str) -> dict[type, str]:
    module = importlib.import_module(module_name)
    index: dict[type, str] = {}
    for name, lt in catalog().layers.items():
        if lt.module != "keras.layers" and module_name == "keras.layers":  # a keras.applications layer
            cls = getattr(importlib.import_module(lt.module), name, None)
        else:
            cls = getattr(module, name, None)
        if isinstance(cls, type):
            index.setdefault(cls, name)
    return index


def _type_index(tf_keras: bool) -> dict[type, str]:
    index = dict(_catalog_classes("tf_keras.layers" if tf_keras else "keras.layers"))
    if not tf_keras:
        index.update(registered_layer_types())
    return index


def _catalog_type(layer: Any, index: dict[type, str]) -> LayerType | None:
    """The catalog type of a layer, or of its nearest catalog ancestor (a subclass of Dense is a Dense)."""
    for cls in type(layer).__mro__:
        name = index.get(cls)
        if name is not None:
            return catalog().layer(name)
    return None


def _is_model(layer: Any) -> bool:
    return any(c.__name__ in ("Model", "Functional", "Sequential") for c in type(layer).__mro__)


def _children(layer: Any) -> list:
    if not hasattr(layer, "_flatten_layers"):
        return []
    return list(layer._flatten_layers(include_self=False, recursive=False))


def _tree(model: Any) -> list[LiveLayer]:
    """Every layer under `model`, once each, depth first in model order, with its path."""
    index = _type_index(is_tf_keras(model))
    out: list[LiveLayer] = []
    seen: set[int] = set()
    start = [(c, (), None) for c in _children(model)] if _is_model(model) else [(model, (), None)]
    stack: list[tuple[Any, tuple[str, ...], tuple[str, ...] | None]] = list(reversed(start))
    while stack:
        layer, parent, owner = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        path = parent + (layer.name,)
        mine = owner if owner is not None else (None if _is_model(layer) else path)
        out.append(LiveLayer(layer, path, mine or path, _catalog_type(layer, index)))
        stack.extend((c, path, mine) for c in reversed(_children(layer)))
    return out


def _class_name(kind: str, comp: Any) -> str:
    name = type(comp).__name__
    entry = catalog().component(kind, name)
    return entry.name if entry is not None else name


def _explicit_seed(comp: Any) -> int | None:
    seed = getattr(comp, "seed", None)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def _written_seed(comp: Any) -> bool:
    """Whether the seed was given by the caller (Keras 3 draws one, kept as `.seed`, for an unseeded initializer)."""
    return getattr(comp, "_init_seed", comp.seed if hasattr(comp, "seed") else None) is not None


def live_key(kind: str, comp: Any) -> str:
    """The sharing-group key of a live component: its explicit seed (initializers), else its identity."""
    seed = _explicit_seed(comp) if kind == "initializer" else None
    key = group_key(kind, _class_name(kind, comp), {"seed": seed} if seed is not None else {}, f"object {id(comp)}")
    assert key is not None
    return key


def _filled_slots(node: LiveLayer) -> Iterator[tuple[Slot, Any, str, Any]]:
    """(slot, holder, attribute, component) for every filled slot of a layer."""
    if node.layer_type is None:
        return
    for arg, slot in node.layer_type.slots.items():
        found = slot_holder(node.layer, arg)
        if found is not None and getattr(*found) is not None:
            yield slot, found[0], found[1], getattr(*found)


def live_slots(tree: list[LiveLayer], key_of: KeyOf = live_key) -> list[SlotUse]:
    """Every filled slot once (a cell's slots belong to its RNN layer), with its sharing-group key."""
    out = []
    seen: set[tuple[int, str]] = set()
    for node in tree:
        for slot, holder, attr, comp in _filled_slots(node):
            if (id(holder), attr) in seen:
                continue
            seen.add((id(holder), attr))
            cname = _class_name(slot.kind, comp)
            key = key_of(slot.kind, comp)
            seed = _explicit_seed(comp) if slot.kind == "initializer" and _written_seed(comp) else None
            label = f"{cname}(seed={seed})" if seed is not None else f"one {cname} object"
            assert node.layer_type is not None
            out.append(SlotUse(node.name, node.layer_type.name, slot.arg, slot.kind, slot.role, cname, key, label,
                               "/".join(node.owner)))
    return out


def _own_variables(layer: Any, tf_keras: bool) -> list:
    if tf_keras:
        return list(getattr(layer, "_trainable_weights", [])) + list(getattr(layer, "_non_trainable_weights", []))
    return list(getattr(layer, "_trainable_variables", [])) + list(getattr(layer, "_non_trainable_variables", []))


def _variable_name(var: Any) -> str:
    name = str(getattr(var, "name", "") or "variable")
    head, sep, tail = name.rpartition(":")
    name = head if sep and tail.isdigit() else name
    return name.rsplit("/", 1)[-1]


def _to_numpy(tf_keras: bool) -> Callable[[Any], np.ndarray]:
    return np.asarray if tf_keras else keras.ops.convert_to_numpy


def _sample(path: str, var: Any, node: LiveLayer | None, key_of: KeyOf, tf_keras: bool) -> WeightSample:
    shape = tuple(int(d) for d in var.shape)
    name = _variable_name(var)
    arg, initializer, group = None, None, None
    if node is not None and node.layer_type is not None:
        arg = slot_of(name, {a for a, s in node.layer_type.slots.items() if s.kind == "initializer"},
                      node.layer_type.name)
        found = slot_holder(node.layer, arg) if arg is not None else None
        comp = getattr(*found) if found is not None else None
        if comp is not None:
            initializer, group = _class_name("initializer", comp), key_of("initializer", comp)
    to_numpy = _to_numpy(tf_keras)
    return weight_sample(path, leading_values(var, shape, SAMPLE, to_numpy), shape, name=name, arg=arg,
                         initializer=initializer, group=group,
                         transposed=lambda: transposed_values(var, shape, TSAMPLE, to_numpy))


def live_weights(model: Any, tree: list[LiveLayer], key_of: KeyOf = live_key) -> list[WeightSample]:
    """Every variable of every layer (then any the walk missed), as leading values with its path."""
    tf_keras = is_tf_keras(model)
    out = []
    seen: set[int] = set()
    for node in tree:
        for var in _own_variables(node.layer, tf_keras):
            if id(var) not in seen:
                seen.add(id(var))
                out.append(_sample(f"{node.name}/{_variable_name(var)}", var, node, key_of, tf_keras))
    for var in getattr(model, "weights", []):
        if id(var) not in seen:
            seen.add(id(var))
            path = str(getattr(var, "path", None) or _variable_name(var))
            out.append(_sample(path, var, None, key_of, tf_keras))
    return out


def audit_live(model: Any, policy: Policy, file: str) -> AuditResult:
    """Audit a live model: component groups judged by `policy`, then the weights, by the one engine."""
    tree = _tree(model)
    result, _used = audit_records(live_slots(tree), live_weights(model, tree), policy, file)
    return result


def audit_planned(spec: ModelSpec, plan: Plan) -> AuditResult:
    """Audit a model file: the plan's verdict (as `validate`), then the weights of its build.

    Correlated weights of a group the plan allows (by the policy or an `allow:`
    entry) are not reported; the allowed groups are listed instead.
    """
    from .building import build_traced

    allowed = [g.summary() for g in plan.sharing_groups() if g.allowed]
    errors = [f for f in plan.findings if f.severity == "error"]
    if errors:
        return AuditResult(list(plan.findings), allowed)
    model, origin = build_traced(spec, plan)

    def plan_key(kind: str, comp: Any) -> str | None:
        """The plan group that made `comp` (attention projections included); Keras's own copies
        (Bidirectional's forward layer) by their explicit seed."""
        key = origin(comp)
        if key is not None:
            return key
        seed = _explicit_seed(comp)
        return group_key(kind, _class_name(kind, comp), {"seed": seed}, None) if seed is not None else None

    def is_allowed(key: str) -> bool:  # a group of one slot is not sharing: its weights are still compared
        g = plan.groups.get(key)
        return g is not None and g.shared and g.allowed

    weights = live_weights(model, _tree(model), plan_key)
    findings: list[Finding] = list(plan.findings) + stream_findings(weights, spec.file, is_allowed)
    return AuditResult(findings, allowed, sum(w.skip is None for w in weights), sum(w.skip is not None for w in weights))


def audit(model: Any, *, policy: str | Policy | None = None, file: str = "<model>") -> list[Finding]:
    """Findings for a live `keras.Model` (or a `tf_keras` one): sharing groups the policy denies,
    and weights drawn from one random stream.

    `policy` defaults to `strict`. Identity sharing is visible only in a live
    model; correlated weights are visible in a saved one too, until training
    moves the weights apart. Weights of a group the policy allows are not reported.
    """
    if not (isinstance(model, keras.layers.Layer) or (is_tf_keras(model) and hasattr(model, "_flatten_layers"))):
        raise TypeError(f"audit takes a keras.Model or layer, got {type(model).__name__}")
    return audit_live(model, load_policy(policy if policy is not None else "strict"), file).findings
