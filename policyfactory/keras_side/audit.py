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

    >>> import keras, policyfactory as pf
    >>> init = keras.initializers.HeNormal()
    >>> inp = keras.Input((8,))
    >>> out = keras.layers.Dense(8, kernel_initializer=init)(keras.layers.Dense(8, kernel_initializer=init)(inp))
    >>> sorted({f.rule for f in pf.audit(keras.Model(inp, out))})
    ['correlated-weights', 'sharing-violation']
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import keras
import numpy as np

from ..core.catalog import catalog
from ..core.findings import POLICY, Finding
from ..core.plan import group_key
from ..core.policy import Policy, load_policy
from ..core.sharing import SharingLedger, SlotRef
from .introspect import slot_holder

FINGERPRINT = 64  # leading values whose signs make a weight's fingerprint
SAMPLE = 65536  # values compared per pair at most
MIN_SIZE = 16  # smaller weights are not compared (chance correlations)
MIN_DISTINCT = 8  # fewer distinct values in the sample: piecewise-constant (zeros, ones, constant, identity ...)
THRESHOLD = 0.999


def _type_index() -> dict[str, str]:
    cat = catalog()
    index = {name: name for name in cat.layers}
    index["GroupedQueryAttention"] = "GroupQueryAttention" if "GroupQueryAttention" in cat.layers else "GroupedQueryAttention"
    for name, lt in cat.layers.items():
        if lt.cls is not None:
            index[lt.cls.__name__] = name
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


def audit_components(model, policy: Policy, file: str) -> list[Finding]:
    cat = catalog()
    types = _type_index()
    ledger = SharingLedger(policy)
    seen_slots: set = set()
    for layer, owner in _layers(model):
        tname = types.get(type(layer).__name__)
        lt = cat.layer(tname) if tname else None
        if lt is None:
            continue
        for arg, slot in lt.slots.items():
            holder, attr = slot_holder(layer, arg)
            if holder is None or (id(holder), attr) in seen_slots:
                continue
            seen_slots.add((id(holder), attr))
            comp = getattr(holder, attr)
            if comp is None:
                continue
            cname = type(comp).__name__
            config = comp.get_config() if hasattr(comp, "get_config") else {}
            seed = config.get("seed") if slot.kind == "initializer" else None
            key = group_key(slot.kind, cname, {"seed": seed} if isinstance(seed, int) else {}, f"object {id(comp)}")
            label = f"{cname}(seed={seed})" if isinstance(seed, int) else f"one {cname} object"
            ref = SlotRef(layer.name, lt.name, arg, slot.kind, slot.role, owner, file, 1, 1)
            ledger.join(key, slot.kind, cname, ref, label)
    return ledger.violations()


def _fingerprint(sample: np.ndarray) -> bytes | None:
    nz = sample[sample != 0][:FINGERPRINT]
    if nz.size < MIN_SIZE:
        return None
    return np.packbits(nz > 0).tobytes() + bytes([nz.size])


def audit_weights(model, file: str) -> list[Finding]:
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
            buckets[fp].append((var.path, sample))
    findings = []
    for members in buckets.values():
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                (pa, a), (pb, b) = members[i], members[j]
                n = min(a.size, b.size)
                x, y = a[:n], b[:n]
                if np.array_equal(x, y):
                    how = "identical"
                else:
                    with np.errstate(invalid="ignore", divide="ignore"):
                        r = float(np.corrcoef(x, y)[0, 1])
                    if not (r > THRESHOLD):
                        continue
                    how = f"correlated (r = {r:.5f})"
                findings.append(Finding(
                    file, 1, 1, "correlated-weights",
                    f"weights {pa} and {pb} are {how} over their first {n} values: they were drawn from one "
                    f"random stream (a shared or identically seeded initializer)",
                    category=POLICY, data={"weights": [pa, pb], "values": n}))
    return findings


def load_keras_file(path: str):
    """Load a `.keras` file with `safe_mode=True`; a file that needs unsafe loading is refused (exit 2)."""
    from ..core.findings import InvalidInput

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


def audit(model, *, policy: "str | Policy | None" = None, file: str = "<model>") -> list[Finding]:
    """Findings for a live `keras.Model`: sharing groups the policy denies, and correlated weights.

    `policy` defaults to `strict`. Identity sharing is visible only in a live
    model; correlated weights are visible in a saved one too, until training
    moves the weights apart.
    """
    pol = load_policy(policy if policy is not None else "strict")
    return audit_components(model, pol, file) + audit_weights(model, file)
