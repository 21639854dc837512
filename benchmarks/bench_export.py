"""Export of every keras.applications model: export -> validate -> build gives the same model.

Each model is built with `weights=None` at the smallest input it takes (tests/roundtrip.py), exported as a
live model (`pf.export`, the translation `policyfactory export` runs on a .keras file), validated and built;
then the parameter count, every layer's weight shapes and the output shapes are compared, and the outputs on one
input after copying the weights in, layer by layer. One row per model, each in a fresh process (the largest hold
a few GB). The figure is the time of export + validate + build; the reference is Keras constructing the model.

    python benchmarks/bench_export.py [NAME ...]   # all 40 without names
"""

import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from _common import ENV, PY, ROOT, row  # noqa: E402 (after the path it is found on)


def one(name: str) -> dict:
    """Round-trip one application (in this process) and return its row."""
    from roundtrip import application, round_trip

    t = time.perf_counter()
    model = application(name)
    keras_s = time.perf_counter() - t
    t = time.perf_counter()
    try:
        rt = round_trip(model)
    except Exception as exc:  # a refusal (InvalidInput) or a mismatch: the row says which
        text = " ".join(str(exc).split())[:300]
        return row(f"export round trip {name}", {"median": time.perf_counter() - t}, "Keras builds it",
                   {"median": keras_s}, 0.0, "same params, weights, outputs", False) | {"error": text}
    ours_s = time.perf_counter() - t
    detail = {"params": rt.params[0], "entries": rt.layers, "max_output_diff": rt.max_diff,
              "same_params": rt.params[0] == rt.params[1], "same_weight_shapes": rt.weights[0] == rt.weights[1],
              "same_output_shapes": rt.outputs[0] == rt.outputs[1]}
    return row(f"export round trip {name}", {"median": ours_s}, "Keras builds it", {"median": keras_s},
               ours_s / keras_s, "same params, weights, outputs", rt.same) | detail


def main(names=None):
    if names is None:
        from roundtrip import application_names
        names = application_names()
    rows = []
    for name in names:
        r = subprocess.run([PY, os.path.abspath(__file__), "--one", name], cwd=ROOT, env=ENV, capture_output=True,
                           text=True)
        if r.returncode != 0 or "{" not in r.stdout:
            rows.append(row(f"export round trip {name}", {"median": 0.0}, "Keras builds it", {"median": 0.0}, 0.0,
                            "same params, weights, outputs", False) | {"error": r.stderr[-300:]})
            continue
        rows.append(json.loads(r.stdout[r.stdout.index("{"):]))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(one(sys.argv[2])))
    else:
        result = main(sys.argv[1:] or None)
        for r in result:
            print(f"# {r['benchmark'][len('export round trip '):]:20} {'same' if r['ok'] else 'DIFFERS'} "
                  f"params={r.get('params')} entries={r.get('entries')} max|diff|={r.get('max_output_diff')} "
                  f"{r.get('error', '')}", file=sys.stderr)
        print(json.dumps(result, indent=2))
