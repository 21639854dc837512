"""Audit one saved model file without Keras: `.keras` archives, Keras 3 and legacy (Keras 2) `.h5` files.

The file's config (JSON data) gives the layers and their slots; the weights give
their leading values. Both become the engine's records, with the paths a live
audit gives the same model (`encoder/dense/kernel`, `bidirectional/forward_lstm.kernel_initializer`);
a variable of a layer whose class the audit does not know is named by its
position (`block/attention/key/vars/0`).

    >>> import os, tempfile
    >>> bad = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> _ = open(bad, "w").write("hello")
    >>> from policyfactory.core.policy import load_policy
    >>> try:
    ...     audit_file(bad, load_policy("strict"))
    ... except InvalidInput as exc:
    ...     print(exc.findings[0].rule)
    audit-input
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

import h5py
import numpy as np

from ..core.catalog import catalog
from ..core.findings import InvalidInput
from ..core.plan import Allow, group_key
from ..core.policy import Policy
from ..core.safeio import NotRegular, read_regular
from .archive import DEFAULT_AUDIT_LIMITS, AuditLimits, Window, open_keras, refuse
from .configwalk import LayerConfig, component_of, layer_at, slot_uses, walk_layers
from .engine import MIN_SIZE, AuditResult, SlotUse, WeightSample, audit_records, constant_like, deterministic_class
from .h5read import SavedVariable, keras3_variables, legacy_config, legacy_root, legacy_variables, sample
from .layout import STATISTICS, slot_of, variable_names

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_KERAS3_TOP = ("vars", "layers", "_layer_checkpoint_dependencies")  # top-level groups of a Keras 3 weights file
# What a hostile or corrupt file can make h5py, json or numpy raise while it is read.
_READ_ERRORS = (OSError, KeyError, ValueError, TypeError, RuntimeError, RecursionError, IndexError, AttributeError)


def file_kind(path: str) -> str | None:
    """'keras' (a zip archive), 'h5' (HDF5), or None, by the file's first bytes."""
    try:
        head = read_regular(path, 8)  # a FIFO or a device (/dev/zero) is refused, never read
    except NotRegular as exc:
        raise refuse(path, "file-unreadable", exc.strerror or str(exc)) from None
    except OSError as exc:
        raise refuse(path, "file-unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    if head[:4] in ZIP_SIGNATURES:
        return "keras"
    if head == HDF5_SIGNATURE or (head and h5py.is_hdf5(path)):  # HDF5 may sit after a user block
        return "h5"
    return None


@contextmanager
def _hdf5(source: str | IO[bytes] | Window, path: str) -> Iterator[h5py.File]:
    try:
        h5 = h5py.File(source, "r")
    except _READ_ERRORS as exc:
        raise refuse(path, "audit-load", f"not a readable HDF5 file: {str(exc)[:200]}") from None
    with h5:
        yield h5


def _catalog_slots(lc: LayerConfig, layout: str) -> dict:
    lt = catalog().layer(layout) or catalog().layer(lc.class_name)
    return lt.slots if lt is not None else {}


def _initializer(lc: LayerConfig, layout: str, arg: str) -> tuple[str, dict] | None:
    """The initializer in slot `arg`: from the config, else Keras's default for the slot."""
    found = component_of("initializer", lc.config.get(arg))
    if found is not None:
        return found
    slot = _catalog_slots(lc, layout).get(arg)
    return (slot.default, {}) if slot is not None and slot.default else None


def _skip_and_group(name: str | None, found: tuple[LayerConfig, str] | None
                    ) -> tuple[str | None, str | None, bool]:
    """Why a variable is not compared (deterministic initializer, statistics), its initializer's group,
    and whether its initializer is known."""
    arg = None
    if name is not None and found is not None:
        lc, layout = found
        args = {k for k in lc.config if isinstance(k, str) and k.endswith("_initializer")}
        arg = slot_of(name, args | set(_catalog_slots(lc, layout)))
        comp = _initializer(lc, layout, arg) if arg is not None else None
        if comp is not None:
            if deterministic_class("initializer", comp[0]):
                return f"deterministic initializer {comp[0]}", None, True
            return None, group_key("initializer", comp[0], comp[1], None), True
    if name in STATISTICS and arg is None:
        return "normalization statistic", None, True
    return None, None, False


def _weight(path: str, v: SavedVariable, name: str | None, found: tuple[LayerConfig, str] | None,
            limits: AuditLimits) -> WeightSample:
    label = "/".join(v.layer + ((name,) if name else ("vars", str(v.index))))
    values = sample(v.dataset, path, limits)
    if values is None:
        return WeightSample(label, np.zeros(0, np.float32), int(v.dataset.size), skip="not floating point")
    skip, group, known = _skip_and_group(name, found)
    if skip is None and (v.dataset.size < MIN_SIZE or constant_like(values)):
        skip = "constant or tiny"
    return WeightSample(label, values, int(v.dataset.size), skip, group, exact_only=not known and v.dataset.ndim <= 1)


def _weights(path: str, variables: list[SavedVariable], layers: dict[tuple[str, ...], LayerConfig],
             limits: AuditLimits) -> list[WeightSample]:
    by_layer: dict[tuple[str, ...], list[SavedVariable]] = {}
    for v in variables:
        by_layer.setdefault(v.layer, []).append(v)
    order = {p: i for i, p in enumerate(layers)}

    def rank(layer: tuple[str, ...]) -> int:
        for k in range(len(layer), 0, -1):
            if layer[:k] in order:
                return order[layer[:k]]
        return len(order)

    out: list[WeightSample] = []
    for layer in sorted(by_layer, key=rank):
        vs = by_layer[layer]
        found = layer_at(layers, layer)
        names: Sequence[str | None] = [v.name for v in vs]
        if any(n is None for n in names):
            names = (variable_names(found[1], found[0].config, len(vs)) if found else None) or [None] * len(vs)
        out.extend(_weight(path, v, n, found, limits) for v, n in zip(vs, names))
    return out


def audit_config_and_weights(path: str, config: Any, variables: list[SavedVariable], policy: Policy,
                             allows: Sequence[Allow], limits: AuditLimits) -> tuple[AuditResult, list[bool]]:
    layers = walk_layers(config) if config is not None else {}
    slots: list[SlotUse] = slot_uses(layers)
    return audit_records(slots, _weights(path, variables, layers, limits), policy, path, allows)


def audit_file(path: str, policy: Policy, allows: Sequence[Allow] = (),
               limits: AuditLimits = DEFAULT_AUDIT_LIMITS) -> tuple[AuditResult, list[bool]]:
    """Audit a `.keras` or `.h5` file: (result, which `allows` were used). Raises `InvalidInput` (exit 2)."""
    kind = file_kind(path)
    if kind is None:
        raise refuse(path, "audit-input", "not a Keras model file: audit reads .keras archives, .h5 files "
                                          "(Keras 3 or 2) and model YAML files")
    try:
        if kind == "keras":
            with open_keras(path, limits) as (config, fh), _hdf5(fh, path) as h5:
                variables = keras3_variables(h5, path, limits)
                return audit_config_and_weights(path, config, variables, policy, allows, limits)
        with _hdf5(path, path) as h5:
            root = legacy_root(h5)
            if root is None and not any(k in h5 for k in _KERAS3_TOP):
                raise refuse(path, "audit-input", "an HDF5 file that holds no Keras model or weights (no "
                                                  "model_weights, layer_names, layers or vars)")
            if root is None:  # a Keras 3 weights file: names, no config
                return audit_config_and_weights(path, None, keras3_variables(h5, path, limits), policy, allows, limits)
            return audit_config_and_weights(path, legacy_config(h5, path, limits), legacy_variables(root, path, limits),
                                            policy, allows, limits)
    except InvalidInput:
        raise
    except _READ_ERRORS as exc:
        raise refuse(path, "audit-load", f"cannot read the model: {type(exc).__name__}: {str(exc)[:200]}") from None
