"""Audit a Keras model built anywhere: shared components, and weights drawn from one random stream.

Two views, because Keras keeps instance sharing only in a live model:

* **components** -- every slot of every layer (nested models, wrappers, RNN
  cells, attention sub-layers) and its component object, grouped by object
  identity and by same-class-same-explicit-seed, judged by the policy;
* **weights** -- layers that drew from one stream hold identical or exactly
  proportional values, which survive save and load (until training moves
  them apart). Each weight gets a fingerprint from a bounded sample (the signs
  of its first values), so the scan is linear in the number of weights; only
  weights with the same fingerprint are compared, on the shorter length.

A correlated pair whose two weights were initialized by one sharing group that
the verdict allows is not reported: the policy (or an `allow:` entry) already
said that this sharing is deliberate. The audit of a model file takes its
verdict from the file's plan, the same one `validate` and `build` read.

    >>> import keras, policyfactory as pf
    >>> init = keras.initializers.HeNormal()
    >>> inp = keras.Input((8,))
    >>> out = keras.layers.Dense(8, kernel_initializer=init)(keras.layers.Dense(8, kernel_initializer=init)(inp))
    >>> sorted({f.rule for f in pf.audit(keras.Model(inp, out))})
    ['correlated-weights', 'sharing-violation']
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from ..core.catalog import catalog
from ..core.findings import Finding, InvalidInput
from ..core.modelfile import ModelSpec
from ..core.plan import Plan, group_key
from ..core.policy import Policy, load_policy
from ..core.sharing import SharingLedger, SlotRef
from .introspect import slot_holder
from .registry import registered_layer_types

FINGERPRINT = 64  # leading values whose signs make a weight's fingerprint
SAMPLE = 65536  # values compared per pair at most
MIN_SIZE = 16  # smaller weights are not compared (chance correlations)
MIN_DISTINCT = 8  # fewer distinct values in the sample: piecewise-constant (zeros, ones, constant, identity ...)
THRESHOLD = 0.999
# The variable each slot role initializes, where it differs from the role's name.
ROLE_VARIABLES = {"recurrent": "recurrent_kernel", "depthwise": "depthwise_kernel", "pointwise": "pointwise_kernel"}


@dataclass
class AuditResult:
    """Findings, and the sharing groups the verdict allows (reported as allowed, not as 'none')."""

    findings: list[Finding] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)


def _type_index() -> dict[type, str]:
    index: dict[type, str] = {}
    for name in catalog().layers:
        cls = getattr(keras.layers, name, None)
        if isinstance(cls, type):
            index[cls] = name
    index.update(registered_layer_types())
    return index


def _walk(layer, owner: str, out: list, seen: set) -> None:
    if id(layer) in seen:
        return
    seen.add(id(layer))
    out.append((layer, owner))
    children = []
    if hasattr(layer, "_flatten_layers"):
        children = list(layer._flatten_layers(include_self=False, recursive=False))
    for child in children:
        _walk(child, owner, out, seen)


def _layers(model) -> list[tuple[Any, str]]:
    out: list = []
    seen: set = set()
    top = model.layers if isinstance(model, keras.Model) else [model]
    for layer in top:
        _walk(layer, layer.name, out, seen)
    return out


def _slots(model):
    """(layer, owner, catalog layer type, slot, holder, component) for every filled slot, once each."""
    cat = catalog()
    types = _type_index()
    seen_slots: set = set()
    for layer, owner in _layers(model):
        tname = types.get(type(layer))
        lt = cat.layer(tname) if tname else None
        if lt is None:
            continue
        for arg, slot in lt.slots.items():
            found = slot_holder(layer, arg)
            if found is None or (id(found[0]), found[1]) in seen_slots:
                continue
            holder, attr = found
            seen_slots.add((id(holder), attr))
            comp = getattr(holder, attr)
            if comp is not None:
                yield layer, owner, lt, slot, holder, comp


def _explicit_seed(comp) -> int | None:
    seed = getattr(comp, "seed", None)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) else None


def live_key(kind: str, comp) -> str:
    """The sharing-group key of a live component: its explicit seed (initializers), else its identity."""
    seed = _explicit_seed(comp) if kind == "initializer" else None
    key = group_key(kind, type(comp).__name__, {"seed": seed} if seed is not None else {}, f"object {id(comp)}")
    assert key is not None
    return key


def audit_components(model, policy: Policy, file: str) -> tuple[list[Finding], SharingLedger]:
    ledger = SharingLedger(policy)
    for layer, owner, lt, slot, _holder, comp in _slots(model):
        cname = type(comp).__name__
        seed = _explicit_seed(comp) if slot.kind == "initializer" else None
        label = f"{cname}(seed={seed})" if seed is not None else f"one {cname} object"
        ref = SlotRef(layer.name, lt.name, slot.arg, slot.kind, slot.role, owner, file, 1, 1)
        ledger.join(live_key(slot.kind, comp), slot.kind, cname, ref, label)
    return ledger.violations(), ledger


def _own_variables(holder) -> list:
    return list(getattr(holder, "_trainable_variables", [])) + list(getattr(holder, "_non_trainable_variables", []))


def weight_groups(model, key_of: Callable[[str, Any], str | None]) -> dict[int, str]:
    """id(variable) -> the sharing-group key of the initializer that made it."""
    out: dict[int, str] = {}
    for _layer, _owner, _lt, slot, holder, comp in _slots(model):
        if slot.kind != "initializer":
            continue
        key = key_of(slot.kind, comp)
        if key is None:
            continue
        name = ROLE_VARIABLES.get(slot.role, slot.role)
        for v in _own_variables(holder):
            if v.name == name:
                out[id(v)] = key
    return out


def _fingerprint(sample: np.ndarray) -> bytes | None:
    nz = sample[sample != 0][:FINGERPRINT]
    if nz.size < MIN_SIZE:
        return None
    return np.packbits(nz > 0).tobytes() + bytes([nz.size])


def audit_weights(model, file: str, allowed: Callable[[Any, Any], bool] = lambda a, b: False) -> list[Finding]:
    """Pairs of weights drawn from one stream; `allowed(var_a, var_b)` drops pairs the verdict permits."""
    buckets: dict[bytes, list] = defaultdict(list)
    for var in model.weights:
        values = np.asarray(keras.ops.convert_to_numpy(var.value)).ravel()
        if values.size < MIN_SIZE:
            continue
        sample = values[:SAMPLE].astype(np.float64)
        if np.unique(sample[: 4 * FINGERPRINT]).size < MIN_DISTINCT and np.unique(sample).size < MIN_DISTINCT:
            continue
        fp = _fingerprint(sample)
        if fp is not None:
            buckets[fp].append((var, sample))
    findings = []
    for members in buckets.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                (va, a), (vb, b) = members[i], members[j]
                n = min(a.size, b.size)
                how = _correlation(a[:n], b[:n])
                if how is None or allowed(va, vb):
                    continue
                findings.append(Finding(
                    file, 1, 1, "correlated-weights",
                    f"weights {va.path} and {vb.path} are {how} over their first {n} values: they were drawn from "
                    f"one random stream (a shared or identically seeded initializer)",
                    data={"weights": [va.path, vb.path], "values": n}))
    return findings


def _correlation(x: np.ndarray, y: np.ndarray) -> str | None:
    if np.array_equal(x, y):
        return "identical"
    with np.errstate(invalid="ignore", divide="ignore"):
        r = float(np.corrcoef(x, y)[0, 1])
    return f"correlated (r = {r:.5f})" if r > THRESHOLD else None


def _same_allowed_group(groups: dict[int, str], is_allowed: Callable[[str], bool]) -> Callable[[Any, Any], bool]:
    def allowed(va, vb) -> bool:
        key = groups.get(id(va))
        return key is not None and key == groups.get(id(vb)) and is_allowed(key)
    return allowed


def load_keras_file(path: str):
    """Load a `.keras` file with `safe_mode=True`; a file that needs unsafe loading is refused (exit 2)."""
    if not path.endswith(".keras"):
        raise InvalidInput(Finding(path, 1, 1, "audit-input", "audit takes a .keras file or a model YAML"))
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # Keras raises many types for bad files
        text = " ".join(str(exc).split())
        if "safe_mode" in text or "unsafe" in text.lower() or "lambda" in text.lower():
            msg = ("refused: the file needs unsafe deserialization (it contains code, e.g. a Lambda layer); "
                   "policyfactory loads models only with safe_mode=True")
        else:
            msg = f"cannot load the .keras file: {text[:300]}"
        raise InvalidInput(Finding(path, 1, 1, "audit-load", msg)) from None


def audit_live(model, policy: Policy, file: str) -> AuditResult:
    """Audit a live model: component groups judged by `policy`, then the weights."""
    findings, ledger = audit_components(model, policy, file)
    groups = weight_groups(model, live_key)

    def is_allowed(key: str) -> bool:
        g = ledger.groups.get(key)
        return g is not None and g.verdict.allowed

    findings += audit_weights(model, file, _same_allowed_group(groups, is_allowed))
    allowed = [f"{g.label}: {len(g.slots)} slots, allowed by {g.verdict.decided_by}"
               for g in ledger.groups.values() if len(g.slots) > 1 and g.verdict.allowed]
    return AuditResult(findings, allowed)


def audit_planned(spec: ModelSpec, plan: Plan) -> AuditResult:
    """Audit a model file: the plan's verdict (as `validate`), then the weights of its build.

    Correlated weights of a group the plan allows (by the policy or an `allow:`
    entry) are not reported; the allowed groups are listed instead.
    """
    from .building import build_from_plan

    allowed = [f"{g.label}: {len(g.slots)} slots, {g.word()} by "
               + (g.verdict.decided_by if g.verdict.allowed else f"allow ({g.suppressed_by})")
               for g in plan.sharing_groups() if g.allowed]
    errors = [f for f in plan.findings if f.severity == "error"]
    if errors:
        return AuditResult(list(plan.findings), allowed)
    instances: dict[str, Any] = {}
    model = build_from_plan(spec, plan, shared_out=instances)
    names = {id(obj): name for name, obj in instances.items()}

    def plan_key(kind: str, comp) -> str | None:
        if id(comp) in names:
            return f"shared:{names[id(comp)]}"
        seed = _explicit_seed(comp)
        return group_key(kind, type(comp).__name__, {"seed": seed}, None) if seed is not None else None

    def is_allowed(key: str) -> bool:
        g = plan.groups.get(key)
        return g is not None and g.allowed

    weights = audit_weights(model, spec.file, _same_allowed_group(weight_groups(model, plan_key), is_allowed))
    return AuditResult(list(plan.findings) + weights, allowed)


def audit(model, *, policy: str | Policy | None = None, file: str = "<model>") -> list[Finding]:
    """Findings for a live `keras.Model`: sharing groups the policy denies, and correlated weights.

    `policy` defaults to `strict`. Identity sharing is visible only in a live
    model; correlated weights are visible in a saved one too, until training
    moves the weights apart. Weights of a group the policy allows are not reported.
    """
    if not isinstance(model, keras.layers.Layer):
        raise TypeError(f"audit takes a keras.Model or layer, got {type(model).__name__}")
    return audit_live(model, load_policy(policy if policy is not None else "strict"), file).findings
