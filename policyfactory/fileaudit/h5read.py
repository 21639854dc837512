"""The weights of a saved model in HDF5, read as leading slices: Keras 3 and legacy (Keras 2) layouts.

* **Keras 3** (`model.weights.h5` in a `.keras` file, or a `.weights.h5` file):
  each saved object is a group with a `vars` group whose `name` attribute is the
  object's name and whose datasets `0`, `1` ... are its variables in creation
  order; containers (`layers`) are groups without `vars`. The optimizer's slots
  (momenta, velocities) are not weights of the model and are not read.
* **Legacy** (`model.save("m.h5")` in Keras 2 and 3): `model_weights/<layer>`
  groups list their variables by name in a `weight_names` attribute; the model's
  config is the `model_config` attribute.

Only hard links are followed (an external link could open another file), no
dataset needs a filter plugin, and a compressed chunk is bounded, so reading a
leading slice never decompresses more than the limit.

Costs follow the objects, not the paths to them: a group reached by a second
link is refused (Keras links every group once; a chain of groups each linking
the next twice would give 2^depth paths), names listed twice are read once, and
a dataset is sampled once however many links lead to it (`Sampler`, by its
address in the file), within a budget of decompressed bytes per file.
"""

from __future__ import annotations

import math
from typing import Any

import h5py
import numpy as np

from ..core.records import record
from ..core.rules.tools import AUDIT_LOAD, H5_REFUSED, LIMIT_ARCHIVE
from ..core.zipread import size_text
from .archive import AuditLimits, parse_config, refuse
from .engine import SAMPLE, TSAMPLE, leading_index, leading_values, transposed_index, transposed_values

_BUILTIN_FILTERS = {1, 2, 3, 5, 6}  # deflate, shuffle, fletcher32, nbit, scaleoffset: built into HDF5
_NOT_MODEL = {"optimizer"}  # top-level objects saved with the model that are not its weights


@record
class SavedVariable:
    """One saved variable: the layer it belongs to (names from the model down), its name if saved, its dataset."""

    layer: tuple[str, ...]
    name: str | None
    index: int
    dataset: h5py.Dataset


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _strings(value: Any) -> list[str]:
    if isinstance(value, (bytes, str)):
        return [_text(value)]
    return [_text(v) for v in np.asarray(value).ravel()] if value is not None else []


def child(group: h5py.Group, key: str, path: str) -> Any:
    """The object under `key`, following hard links only."""
    link = group.get(key, getlink=True)
    if link is None:
        raise refuse(path, AUDIT_LOAD, f"'{group.name}/{key}' is listed but missing: the file is corrupt")
    if not isinstance(link, h5py.HardLink):
        raise refuse(path, H5_REFUSED, f"'{group.name}/{key}' is a {type(link).__name__}: the audit follows "
                                         f"no links that point elsewhere (Keras writes none)")
    return group[key]


def _at(group: h5py.Group, relpath: str, path: str) -> Any:
    obj: Any = group
    for part in relpath.split("/"):
        if not isinstance(obj, h5py.Group):
            raise refuse(path, AUDIT_LOAD, f"'{group.name}/{relpath}' is listed but missing: the file is corrupt")
        obj = child(obj, part, path)
    return obj


def _name_of(group: h5py.Group, key: str) -> str | None:
    """The saved object's name if `group` is a saved object (it has `vars`), else None (a container)."""
    vars_link = group.get("vars", getlink=True)
    if not isinstance(vars_link, h5py.HardLink) or not isinstance(group["vars"], h5py.Group):
        return None
    name = group["vars"].attrs.get("name")
    return _text(name) if name is not None else key


def _own_variables(vars_group: h5py.Group, names: tuple[str, ...], path: str) -> list[SavedVariable]:
    keys = sorted((k for k in vars_group if k.isdigit()), key=int)
    out = []
    for i, k in enumerate(keys):
        ds = child(vars_group, k, path)
        if isinstance(ds, h5py.Dataset):
            out.append(SavedVariable(names, None, i, ds))
    return out


def address(obj: Any) -> int:
    """Where an object lies in its file: one key for every link that leads to it."""
    return int(h5py.h5o.get_info(obj.id).addr)


def keras3_variables(root: h5py.Group, path: str, limits: AuditLimits) -> list[SavedVariable]:
    """Every variable in a Keras 3 weights file, by the names of the objects that hold it.

    Each group is visited once: a group reached by a second link is refused (Keras writes none).
    """
    out: list[SavedVariable] = []
    stack: list[tuple[h5py.Group, tuple[str, ...], int]] = [(root, (), 0)]
    visited = {address(root)}
    seen = 0
    while stack:
        group, names, depth = stack.pop()
        if depth > limits.max_depth:
            raise refuse(path, H5_REFUSED, f"groups nested deeper than {limits.max_depth} levels at '{group.name}'")
        keys = list(group.keys())
        seen += len(keys)
        if seen > limits.max_datasets:
            raise refuse(path, H5_REFUSED, f"more than {limits.max_datasets:,} objects: not a Keras weights file")
        if "vars" in keys:
            vars_group = child(group, "vars", path)
            if isinstance(vars_group, h5py.Group):
                _visit_once(visited, vars_group, group, "vars", path)
                out.extend(_own_variables(vars_group, names, path))
        children = []
        for key in keys:
            if key == "vars" or (depth == 0 and key in _NOT_MODEL):
                continue
            obj = child(group, key, path)
            if isinstance(obj, h5py.Group):
                _visit_once(visited, obj, group, key, path)
                name = _name_of(obj, key)
                children.append((obj, names + (name,) if name is not None else names, depth + 1))
        stack.extend(reversed(children))
    return out


def _visit_once(visited: set[int], obj: h5py.Group, parent: h5py.Group, key: str, path: str) -> None:
    at = address(obj)
    if at in visited:
        raise refuse(path, H5_REFUSED, f"'{parent.name}/{key}' is a second link to a group already read: "
                                         f"Keras links every group once")
    visited.add(at)


def legacy_root(h5: h5py.File) -> h5py.Group | None:
    """The group of a legacy (Keras 2 style) file that lists layers by name, or None."""
    if "model_weights" in h5 and isinstance(h5.get("model_weights", getlink=True), h5py.HardLink):
        return h5["model_weights"]
    return h5 if "layer_names" in h5.attrs else None


def _strip_index(name: str) -> str:
    head, sep, tail = name.rpartition(":")
    return head if sep and tail.isdigit() else name


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def legacy_variables(root: h5py.Group, path: str, limits: AuditLimits) -> list[SavedVariable]:
    """Every variable of a legacy file, by its saved name (`dense/kernel:0` -> layer ('dense',), 'kernel').

    A name listed twice (in `layer_names` or a layer's `weight_names`) is read once.
    """
    out: list[SavedVariable] = []
    index: dict[tuple[str, ...], int] = {}  # a variable's position among its layer's, as a .keras file numbers them
    layers = _unique(_strings(root.attrs.get("layer_names")))
    if len(layers) > limits.max_datasets:
        raise refuse(path, H5_REFUSED, f"more than {limits.max_datasets:,} layers: not a Keras weights file")
    for layer in layers:
        group = child(root, layer, path)
        if not isinstance(group, h5py.Group):
            continue
        for weight in _unique(_strings(group.attrs.get("weight_names"))):
            ds = _at(group, weight, path)
            parts = [p for p in _strip_index(weight).split("/") if p]
            if not parts or not isinstance(ds, h5py.Dataset):
                continue
            if parts[0] != layer:
                parts = [layer, *parts]
            owner = tuple(parts[:-1])
            index[owner] = index.get(owner, -1) + 1
            out.append(SavedVariable(owner, parts[-1], index[owner], ds))
            if len(out) > limits.max_datasets:
                raise refuse(path, H5_REFUSED, f"more than {limits.max_datasets:,} weights: not a Keras weights file")
    return out


def legacy_config(h5: h5py.File, path: str, limits: AuditLimits) -> Any:
    """The `model_config` attribute of a legacy file as JSON data (None when it holds weights only)."""
    if "model_config" not in h5.attrs:
        return None
    size = h5.attrs.get_id("model_config").get_storage_size()
    if size > limits.max_config_bytes:
        raise refuse(path, LIMIT_ARCHIVE, f"refused: the model_config attribute holds {size:,} bytes, more than "
                                            f"the limit ({limits.max_config_bytes:,})")
    return parse_config(path, _text(h5.attrs["model_config"]), "the model_config attribute", limits)


def check_dataset(ds: h5py.Dataset, path: str, limits: AuditLimits) -> None:
    """Refuse storage the audit does not read: virtual or external data, filter plugins, oversized chunks."""
    dcpl = ds.id.get_create_plist()
    if ds.is_virtual or dcpl.get_external_count():
        raise refuse(path, H5_REFUSED, f"dataset '{ds.name}' keeps its data outside this file (virtual or "
                                         f"external storage)")
    filters = [dcpl.get_filter(i)[0] for i in range(dcpl.get_nfilters())]
    plugins = [f for f in filters if f not in _BUILTIN_FILTERS]
    if plugins:
        raise refuse(path, H5_REFUSED, f"dataset '{ds.name}' needs HDF5 filter plugin(s) {plugins}: "
                                         f"the audit loads no plugins (Keras writes unfiltered data)")
    if filters and ds.chunks is not None and math.prod(ds.chunks) * ds.dtype.itemsize > limits.max_chunk_bytes:
        raise refuse(path, H5_REFUSED, f"dataset '{ds.name}' has compressed chunks over "
                                         f"{limits.max_chunk_bytes:,} bytes (each is decompressed whole)")


def _bfloat16(ds: h5py.Dataset) -> bool:
    return ds.dtype.kind == "V" and ds.dtype.itemsize == 2 and _text(ds.attrs.get("dtype", "")) == "bfloat16"


def _from_bfloat16(part: Any) -> np.ndarray:
    raw = np.ascontiguousarray(part).view(np.uint16)
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _chunk_bytes_read(ds: h5py.Dataset, index: tuple) -> int:
    """The bytes HDF5 decompresses to read `index` of a filtered, chunked dataset (0 for plain storage)."""
    dcpl = ds.id.get_create_plist()
    if ds.chunks is None or not dcpl.get_nfilters():
        return 0
    chunks = 1
    for axis, (extent, chunk) in enumerate(zip(ds.shape, ds.chunks)):
        part = index[axis] if axis < len(index) else slice(None)
        stop = extent if not isinstance(part, slice) or part.stop is None else min(part.stop, extent)
        chunks *= 1 if not isinstance(part, slice) else max(1, -(-stop // chunk))
    return chunks * math.prod(ds.chunks) * ds.dtype.itemsize


class Sampler:
    """Leading values of datasets, each read once per object (by address), with a budget of decompressed bytes.

    Many links to one dataset cost one read; many compressed datasets cost at most
    `limits.max_decompressed_bytes` of decompression for the whole file.
    """

    def __init__(self, path: str, limits: AuditLimits):
        self.path, self.limits = path, limits
        self.cache: dict[tuple[int, bool], np.ndarray | None] = {}
        self.decompressed = 0

    def __call__(self, ds: h5py.Dataset, transposed: bool = False) -> np.ndarray | None:
        """The first values of a floating-point dataset (C order; or of its transpose, for a matrix),
        None for other data (counters, seeds, strings)."""
        key = (address(ds), transposed)
        if key not in self.cache:
            self.cache[key] = self._read(ds, transposed)
        return self.cache[key]

    def _read(self, ds: h5py.Dataset, transposed: bool) -> np.ndarray | None:
        bf16 = _bfloat16(ds)
        if ds.dtype.kind != "f" and not bf16:
            return None
        check_dataset(ds, self.path, self.limits)
        if math.prod(ds.shape) == 0:
            return np.zeros(0, np.float32)
        index = transposed_index(ds.shape, TSAMPLE) if transposed else leading_index(ds.shape, SAMPLE)
        self.decompressed += _chunk_bytes_read(ds, index)
        if self.decompressed > self.limits.max_decompressed_bytes:
            raise refuse(self.path, H5_REFUSED, f"reading the leading values of dataset '{ds.name}' would "
                                                  f"decompress more than {size_text(self.limits.max_decompressed_bytes)} "
                                                  f"in this file (Keras writes uncompressed data)")
        convert = _from_bfloat16 if bf16 else np.asarray
        try:
            if transposed:
                return transposed_values(ds, ds.shape, TSAMPLE, convert)
            return leading_values(ds, ds.shape, SAMPLE, convert)
        except (OSError, ValueError, TypeError) as exc:
            raise refuse(self.path, AUDIT_LOAD, f"cannot read dataset '{ds.name}': {str(exc)[:200]}") from None
