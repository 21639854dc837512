"""`audit` of a model with 10 million parameters, and its growth against 1 million."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from _common import row, summary

import policyfactory as pf


def model_with(params, width=1000):
    layers = max(1, -(-params // (width * width + width)))  # at least `params` parameters
    inp = keras.Input((width,))
    x = inp
    for _ in range(layers):
        x = keras.layers.Dense(width)(x)
    return keras.Model(inp, x)


def timed(model, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        findings = pf.audit(model)
        out.append(time.perf_counter() - t)
        assert findings == [], findings[:2]
    return out


def main(runs=5):
    small, big = model_with(1_000_000), model_with(10_000_000)
    timed(small, 1)
    t_small, t_big = summary(timed(small, runs)), summary(timed(big, runs))
    growth = t_big["median"] / t_small["median"]
    n = big.count_params()
    return [
        row(f"audit {n:,}-parameter model", t_big, "target 5 s", {"median": 5.0}, t_big["median"] / 5.0, "< 5 s",
            t_big["median"] < 5.0),
        row("audit growth 10M vs 1M parameters", t_big, f"{small.count_params():,}-parameter model", t_small, growth,
            "<= 12x (linear)", growth <= 12),
    ]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
