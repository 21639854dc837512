"""Crafted model files that once cost the audit or export minutes or gigabytes (issue 19).

Each writer makes one small hostile file; `tests/test_fileaudit_cost.py` checks that the
command ends with a finding and an exit code within a memory cap, and
`benchmarks/bench_audit_attacks.py` times each one. No Keras is needed to write them.
"""

import base64
import io
import json
import os
import zipfile

import h5py
import numpy as np

ATTACKS = ("legacy_repeats", "hard_links", "identical_copies", "link_dag", "gzip_chunk_links", "json_lists")


def _values(n, seed=0):
    return np.random.default_rng(seed).normal(size=n).astype("float32")


def legacy_repeats(path, repeats=60):
    """A legacy .h5 that lists one layer `repeats` times and, in it, one weight `repeats` times."""
    with h5py.File(path, "w") as h:
        root = h.create_group("model_weights")
        root.attrs["layer_names"] = [b"d"] * repeats
        group = root.create_group("d")
        group.attrs["weight_names"] = [b"d/kernel:0"] * repeats
        group["d/kernel:0"] = _values(64).reshape(8, 8)
    return path


def hard_links(path, links=1000):
    """A Keras 3 weights file: `links` layers whose one variable is a hard link to one dataset."""
    with h5py.File(path, "w") as h:
        first = h.create_dataset("data", data=_values(256))
        for i in range(links):
            g = h.create_group(f"layers/l{i}/vars")
            g.attrs["name"] = f"l{i}"
            g["0"] = first
    return path


def identical_copies(path, copies=600):
    """A Keras 3 weights file: `copies` layers, each with its own dataset of the same 16 values."""
    values = _values(16)
    with h5py.File(path, "w") as h:
        for i in range(copies):
            g = h.create_group(f"layers/l{i}/vars")
            g.attrs["name"] = f"l{i}"
            g["0"] = values
    return path


def link_dag(path, depth=40):
    """A Keras 3 weights file of `depth` groups, each holding the next twice (2^depth paths to one dataset)."""
    with h5py.File(path, "w") as h:
        layers = h.create_group("layers")
        bottom = h.create_group("bottom")
        bottom.create_group("vars").create_dataset("0", data=_values(64))
        below = bottom
        for i in range(depth):
            g = h.create_group(f"g{i}")
            g["a"] = below
            g["b"] = below
            below = g
        layers["top"] = below
    return path


def gzip_chunk_links(path, links=200, chunk_mib=64):
    """A Keras 3 weights file: `links` layers linked to one dataset stored as one gzip chunk of `chunk_mib` MiB."""
    n = chunk_mib * 1024 * 1024 // 4
    with h5py.File(path, "w") as h:
        ds = h.create_dataset("data", shape=(n,), dtype="float32", chunks=(n,), compression="gzip")
        ds[:4096] = _values(4096)
        for i in range(links):
            g = h.create_group(f"layers/l{i}/vars")
            g.attrs["name"] = f"l{i}"
            g["0"] = ds
    return path


def gzip_chunk_datasets(path, datasets=40, chunk_mib=64):
    """A Keras 3 weights file: `datasets` distinct datasets, each one gzip chunk of `chunk_mib` MiB (mostly zeros)."""
    n = chunk_mib * 1024 * 1024 // 4
    with h5py.File(path, "w") as h:
        for i in range(datasets):
            g = h.create_group(f"layers/l{i}/vars")
            g.attrs["name"] = f"l{i}"
            ds = g.create_dataset("0", shape=(n,), dtype="float32", chunks=(n,), compression="gzip")
            ds[:4096] = _values(4096, seed=i)
    return path


def _weights_bytes():
    buf = io.BytesIO()
    with h5py.File(buf, "w") as h:
        h.create_group("layers")
    return buf.getvalue()


def json_lists(path, mib=61, noise=1 << 20, compression=zipfile.ZIP_DEFLATED):
    """A .keras archive whose config.json is a model config with `mib` MiB of empty lists, and `noise` bytes of
    base64 noise in a string so the member compresses under the ratio limit (about 80:1, not 1,000:1)."""
    lists = "[]," * (mib * 1024 * 1024 // 3)
    pad = base64.b64encode(np.random.default_rng(0).bytes(noise * 3 // 4)).decode()
    text = '{"class_name": "Sequential", "config": {"name": "m", "trainable": true, "layers": [], "pad": "' + pad \
           + '", "x": [' + lists + "[]]}}"
    with zipfile.ZipFile(path, "w", compression) as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.0.0"}))
        zf.writestr("config.json", text)
        zf.writestr(zipfile.ZipInfo("model.weights.h5"), _weights_bytes())
    return path


def allow_file_model(folder, n=4000):
    """A model file of `n` Dense layers in `n // 2` pairs, each pair sharing one seeded initializer (a denied
    group), with `n` allow entries: one per pair, and one per pair that names a misspelt slot (suppresses
    nothing, so it is reported with a did-you-mean among the model's slots)."""
    path = os.path.join(folder, f"allows{n}.yaml")
    pairs = n // 2
    with open(path, "w") as fh:
        fh.write("kind: model\nversion: 1\npolicy: strict\ninput: {shape: [4]}\nlayers:\n")
        fh.writelines(f"  - {{type: Dense, units: 2, name: d{i}, kernel_initializer: "
                      f"{{class_name: HeNormal, config: {{seed: {i // 2}}}}}}}\n" for i in range(2 * pairs))
        fh.write("allow:\n")
        for p in range(pairs):
            fh.write(f"  - {{rule: sharing-violation, slots: [d{2 * p}.kernel_initializer, "
                     f"d{2 * p + 1}.kernel_initializer], reason: tied on purpose}}\n")
            fh.write(f"  - {{rule: sharing-violation, slots: [d{2 * p}.kernel_initialiser, "
                     f"d{2 * p + 1}.kernel_initializer], reason: misspelt}}\n")
    return path


def write(name, folder):
    """Write attack `name` into `folder` under a name with the right suffix; return its path."""
    suffix = ".keras" if name == "json_lists" else ".h5"
    return globals()[name](os.path.join(folder, name + suffix))
