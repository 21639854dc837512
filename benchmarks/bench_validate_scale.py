"""`validate` of a 10,000-layer model, and its growth against a 1,000-layer one (in-process).

Measured as `policyfactory validate` runs it: the CLI pauses the cyclic garbage
collector for the command (the library itself never touches process-wide state).
"""

import gc
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import row, summary

from policyfactory.cli import _gc_paused
from policyfactory.core.validate import check_path


def write_model(n, folder):
    path = os.path.join(folder, f"m{n}.yaml")
    with open(path, "w") as fh:
        fh.write("kind: model\nversion: 1\nname: big\npolicy: recurrent\nseed: 1\ninput: {shape: [null, 8]}\n"
                 "shared:\n  norm: {constraint: UnitNorm}\nlayers:\n")
        for i in range(n):
            if i % 2:
                fh.write(f"  - {{type: Dense, name: d{i}, units: 8, kernel_initializer: he_normal, "
                         f"kernel_regularizer: {{class_name: L2, config: {{l2: 0.001}}}}}}\n")
            else:
                fh.write(f"  - {{type: LSTM, name: l{i}, units: 8, return_sequences: true, "
                         f"kernel_constraint: {{shared: norm}}, recurrent_constraint: {{shared: norm}}}}\n")
    return path


def timed(path, runs):
    out = []
    for _ in range(runs):
        gc.collect()  # the previous run's garbage is not this run's cost
        with _gc_paused():
            t = time.perf_counter()
            result = check_path(path)
            out.append(time.perf_counter() - t)
        assert not result.findings, result.findings[:3]
        del result
    return out


def main(runs=5):
    folder = tempfile.mkdtemp()
    small, big = write_model(1000, folder), write_model(10000, folder)
    timed(small, 1)
    t_small, t_big = summary(timed(small, runs)), summary(timed(big, runs))
    growth = t_big["median"] / t_small["median"]
    return [
        row("validate 10,000-layer model", t_big, "target 3 s", {"median": 3.0}, t_big["median"] / 3.0,
            "< 3 s", t_big["median"] < 3.0),
        row("validate growth 10,000 vs 1,000 layers", t_big, "1,000-layer model", t_small, growth, "<= 12x",
            growth <= 12),
    ]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
