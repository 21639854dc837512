"""`build_model` of a 200-layer Dense stack against the same model built with plain Keras."""

import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from _common import row, summary

import policyfactory as pf

N = 200
SPEC = {"kind": "model", "version": 1, "name": "stack", "seed": 1, "input": {"shape": [32]},
        "layers": [{"type": "Dense", "units": 32, "kernel_initializer": "glorot_uniform"} for _ in range(N)]}


def plain_keras():
    keras.utils.set_random_seed(1)
    inp = keras.Input((32,), name="input")
    x = inp
    for i in range(N):
        x = keras.layers.Dense(32, kernel_initializer=keras.initializers.GlorotUniform(seed=i),
                               bias_initializer="zeros", name=f"dense_{i}")(x)
    return keras.Model(inp, x)


def ours():
    return pf.build_model(SPEC)


def main(pairs=9):
    ours(), plain_keras()  # warm-up
    ratios, t_ours, t_keras = [], [], []
    for i in range(pairs):
        order = (ours, plain_keras) if i % 2 == 0 else (plain_keras, ours)
        times = {}
        for fn in order:
            keras.backend.clear_session()
            t = time.perf_counter()
            fn()
            times[fn] = time.perf_counter() - t
        t_ours.append(times[ours])
        t_keras.append(times[plain_keras])
        ratios.append(times[ours] / times[plain_keras])
    med = statistics.median(ratios)
    return [row(f"build_model {N}-layer Dense stack", summary(t_ours), "plain Keras, same initializers",
                summary(t_keras), med, "<= 1.10 (median of pair ratios)", med <= 1.10)]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
