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
from ..core.kerasconfig import LayerConfig, walk_layers
from ..core.plan import Allow, group_key
from ..core.policy import Policy
from ..core.rules.files import FILE_UNREADABLE
from ..core.rules.tools import AUDIT_INPUT, AUDIT_LOAD
from ..core.safeio import NotRegular, read_regular
from .archive import DEFAULT_AUDIT_LIMITS, AuditLimits, Window, open_keras, refuse
from .configwalk import component_of, layer_at, slot_uses
from .engine import (
    AuditResult,
    SlotUse,
    WeightSample,
    audit_records,
    deterministic_class,
    weight_sample,
)
from .h5read import Sampler, SavedVariable, keras3_variables, legacy_config, legacy_root, legacy_variables
from .layout import slot_of, variable_names

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
        raise refuse(path, FILE_UNREADABLE, exc.strerror or str(exc)) from None
    except OSError as exc:
        raise refuse(path, FILE_UNREADABLE, f"cannot read the file: {exc.strerror or exc}") from None
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
        raise refuse(path, AUDIT_LOAD, f"not a readable HDF5 file: {str(exc)[:200]}") from None
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


def _slot_initializer(name: str | None, found: tuple[LayerConfig, str] | None
                      ) -> tuple[str | None, tuple[str, dict] | None]:
    """The slot that made a variable, and that slot's initializer (class, config), where the config tells."""
    if name is None or found is None:
        return None, None
    lc, layout = found
    args = {k for k in lc.config if isinstance(k, str) and k.endswith("_initializer")}
    arg = slot_of(name, args | set(_catalog_slots(lc, layout)), layout)
    return arg, (_initializer(lc, layout, arg) if arg is not None else None)


def _unnamed_skips(vs: Sequence[SavedVariable], found: tuple[LayerConfig, str] | None) -> list[str | None]:
    """Why variables saved by position (a class the audit does not know) are not compared, where that is known.

    * The layer's config names initializers (`*_initializer`, any class) and every one of them is
      deterministic (zeros, ones, constant, identity): no variable of the layer is a stream.
    * The layer saved a kernel and then a bias (a vector or array of the kernel's trailing shape, as
      Dense and EinsumDense do): the bias is made by `bias_initializer` in the config, else by Keras's
      default for a bias, zeros. Two such biases get identical updates wherever their outputs are
      summed (a parallel residual), so zeros moved by training must not read as one stream.
    """
    out: list[str | None] = [None] * len(vs)
    comps = [component_of("initializer", v) for k, v in (found[0].config.items() if found else ())
             if isinstance(k, str) and k.endswith("_initializer")]
    named = [c for c in comps if c is not None]
    if named and all(deterministic_class("initializer", c[0]) for c in named):
        return [f"deterministic initializer {named[0][0]} (every initializer of the layer)"] * len(vs)
    if len(vs) == 2:
        kernel, bias = vs[0].dataset, vs[1].dataset
        if kernel.ndim >= 2 and 1 <= bias.ndim < kernel.ndim and bias.shape == kernel.shape[kernel.ndim - bias.ndim:]:
            given = component_of("initializer", found[0].config.get("bias_initializer")) if found else None
            if given is None:
                out[1] = "deterministic initializer Zeros (Keras's default for the bias after a kernel)"
            elif deterministic_class("initializer", given[0]):
                out[1] = f"deterministic initializer {given[0]}"
    return out


def _weight(v: SavedVariable, name: str | None, found: tuple[LayerConfig, str] | None,
            sampler: Sampler, reason: str | None = None) -> WeightSample:
    label = "/".join(v.layer + ((name,) if name else ("vars", str(v.index))))
    values = sampler(v.dataset)
    if values is None:
        return WeightSample(label, np.zeros(0, np.float32), int(v.dataset.size), skip="not floating point")
    arg, init = _slot_initializer(name, found)
    return weight_sample(label, values, v.dataset.shape, name=name, arg=arg, skip=reason,
                         initializer=init[0] if init else None,
                         group=group_key("initializer", init[0], init[1], None) if init else None,
                         transposed=lambda: sampler(v.dataset, transposed=True))


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
    sampler = Sampler(path, limits)
    for layer in sorted(by_layer, key=lambda p: (rank(p), p)):  # unlisted sublayers by name: one order per format
        vs = by_layer[layer]
        found = layer_at(layers, layer)
        # one name per weight whatever the format: a legacy .h5 saves every variable's name, a .keras file only
        # positions, so a saved name is used only where the config could name the variable in a .keras file too
        known = variable_names(found[1], found[0].config, len(vs)) if found else None
        names: Sequence[str | None] = [v.name for v in vs] if known is not None else [None] * len(vs)
        if any(n is None for n in names):
            names = known or [None] * len(vs)
        reasons = _unnamed_skips(vs, found) if all(n is None for n in names) else [None] * len(vs)
        out.extend(_weight(v, n, found, sampler, why) for v, n, why in zip(vs, names, reasons))
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
        raise refuse(path, AUDIT_INPUT, "not a Keras model file: audit reads .keras archives, .h5 files "
                                          "(Keras 3 or 2) and model YAML files")
    try:
        if kind == "keras":
            with open_keras(path, limits) as (config, fh), _hdf5(fh, path) as h5:
                variables = keras3_variables(h5, path, limits)
                return audit_config_and_weights(path, config, variables, policy, allows, limits)
        with _hdf5(path, path) as h5:
            root = legacy_root(h5)
            if root is None and not any(k in h5 for k in _KERAS3_TOP):
                raise refuse(path, AUDIT_INPUT, "an HDF5 file that holds no Keras model or weights (no "
                                                  "model_weights, layer_names, layers or vars)")
            if root is None:  # a Keras 3 weights file: names, no config
                return audit_config_and_weights(path, None, keras3_variables(h5, path, limits), policy, allows, limits)
            return audit_config_and_weights(path, legacy_config(h5, path, limits), legacy_variables(root, path, limits),
                                            policy, allows, limits)
    except InvalidInput:
        raise
    except _READ_ERRORS as exc:
        raise refuse(path, AUDIT_LOAD, f"cannot read the model: {type(exc).__name__}: {str(exc)[:200]}") from None
