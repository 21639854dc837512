"""Random model files over the whole catalog: every layer type, wrappers, cells and components, random configs.

Used by tests/test_differential.py (Hypothesis draws the seed) and benchmarks/bench_differential.py (seeds the
tests never use). Values are drawn from a pool that mixes what Keras takes with what it refuses: strings where
numbers belong, lists, out-of-range numbers, choices of other arguments, component names.
"""

from __future__ import annotations

import random
from typing import Any

from policyfactory.core.catalog import shipped_catalog

POOL: list[Any] = [1, 2, 3, 4, 5, 8, 0, -1, 0.5, 0.1, 1.5, -0.5, 2.0, True, False, None,
                   "x", "valid", "same", "causal", "sum", "concat", "mul", "2", "3", "channels_first", "channels_last",
                   "relu", "l2", "orthogonal", "identity", "int", "tf_idf", "multi_hot", "one_hot", "count",
                   "float32", "nearest", "bilinear", "whitespace", "reflect", "constant",
                   [1], [2], [1, 1], [2, 2], [1, 2, 3], [3, 1], [1, 1, 1], [-1], [0, 1], ["a", "b"], [], {}]
INITIALIZERS = ["zeros", "ones", "glorot_uniform", "he_normal", "orthogonal", "identity", "lecun_normal",
                "random_normal", "truncated_normal", "variance_scaling", "constant"]
REGULARIZERS = ["l1", "l2", "l1_l2", "orthogonal_regularizer"]
CONSTRAINTS = ["max_norm", "non_neg", "unit_norm", "min_max_norm"]
SKIP_ARGS = {"name", "input_shape", "input_dim", "trainable", "autocast", "dtype"}


def _required_value(rng: random.Random, name: str, info: dict) -> Any:
    t = info.get("type")
    if t == "int":
        return rng.choice([1, 2, 3, 4])
    if t == "float":
        return rng.choice([0.1, 0.25, 0.5])
    if name in ("kernel_size", "pool_size", "output_size", "height", "width", "n"):
        return rng.choice([1, 2, 3, [2, 2], 2])
    if name == "target_shape":
        return rng.choice([[4], [2, 2], [-1], [2, -1], [1, 4]])
    if name == "dims":
        return rng.choice([[1], [2, 1], [1, 2], [3, 2, 1]])
    if name in ("axes",):
        return rng.choice([1, -1, [1, 1]])
    if name == "activation":
        return rng.choice(["relu", "tanh", "linear"])
    if name == "equation":
        return rng.choice(["ab,bc->ac", "abc,cd->abd", "ab,bc->c"])
    if name == "output_shape":
        return rng.choice([4, [4], [3, 4], None])
    return rng.choice(POOL)


def _slot_value(rng: random.Random, kind: str) -> Any:
    names = {"initializer": INITIALIZERS, "regularizer": REGULARIZERS, "constraint": CONSTRAINTS}[kind]
    return rng.choice(names)


def random_layer(rng: random.Random, depth: int = 0, types: list[str] | None = None) -> dict:
    cat = shipped_catalog()
    names = types or sorted(cat.layers)
    lt = cat.layers[rng.choice(names)]
    entry: dict[str, Any] = {"type": lt.name}
    for req in lt.required:
        if req in lt.layer_params:
            continue
        entry[req] = _required_value(rng, req, lt.params[req])
    for sub in lt.layer_params:
        if sub in lt.required or (rng.random() < 0.1 and sub != "backward_layer"):
            if depth >= 2:
                return {"type": "Dense", "units": 2}
            recurrent = ["LSTMCell", "GRUCell", "SimpleRNNCell"]
            if sub in ("cells", "layers"):
                entry[sub] = [random_layer(rng, depth + 1, recurrent if sub == "cells" else None)
                              for _ in range(rng.randint(1, 2))]
            elif sub == "cell":
                entry[sub] = random_layer(rng, depth + 1, recurrent if rng.random() < 0.7 else None)
            elif lt.name == "Bidirectional" and rng.random() < 0.7:
                entry[sub] = random_layer(rng, depth + 1, ["LSTM", "GRU", "SimpleRNN"])
            else:
                entry[sub] = random_layer(rng, depth + 1)
    optional = [n for n in lt.params if n not in lt.required and n not in SKIP_ARGS and n not in lt.layer_params]
    for arg in rng.sample(optional, min(len(optional), rng.randint(0, 2))):
        if arg in lt.slots:
            entry[arg] = _slot_value(rng, lt.slots[arg].kind)
        elif rng.random() < 0.3 and "default" in lt.params[arg]:
            entry[arg] = lt.params[arg]["default"]
        else:
            entry[arg] = rng.choice(POOL)
    return entry


def random_model(seed: int) -> dict:
    """One random model file (as a mapping): sequential, or functional with two inputs for merges."""
    rng = random.Random(seed)
    rank = rng.choice([1, 2, 2, 3, 3, 4])
    shape = [rng.choice([2, 3, 4, 6, 8]) for _ in range(rank)]
    layers = [random_layer(rng) for _ in range(rng.randint(1, 3))]
    spec: dict[str, Any] = {"kind": "model", "version": 1}
    if rng.random() < 0.25:
        spec["inputs"] = {"a": {"shape": shape}, "b": {"shape": list(shape)}}
        names = ["a", "b"]
        for i, layer in enumerate(layers):
            layer["name"] = f"l{i}"
            layer["inputs"] = rng.sample(names, rng.choice([1, 2]))
            names.append(layer["name"])
        spec["outputs"] = [layers[-1]["name"]]
    else:
        spec["input"] = {"shape": shape}
    spec["layers"] = layers
    return spec
