"""`audit` of a large saved model against loading it with Keras, whole processes, side by side.

The file is VGG16 from keras.applications with `weights=None` (138 million
parameters, about 550 MB), built once into a cache folder (PF_BENCH_CACHE, or
policyfactory-bench in the temporary folder). Each round runs both commands as
fresh processes, one after the other, so load changes on the machine hit both:

* `policyfactory audit vgg16.keras` (no TensorFlow: numpy, h5py, leading slices);
* `python -c "import keras; keras.saving.load_model('vgg16.keras')"`.

Also: the peak resident memory that a live `pf.audit(model)` of VGG16 adds
(reset with /proc/self/clear_refs before the audit), against 100 MB.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ENV, PY, ROOT, row, summary

CACHE = os.environ.get("PF_BENCH_CACHE", os.path.join(tempfile.gettempdir(), "policyfactory-bench"))
MODEL = os.path.join(CACHE, "vgg16.keras")

BUILD = f"""
import keras
keras.applications.VGG16(weights=None).save({MODEL + ".tmp.keras"!r})
"""

LOAD = f"import keras; keras.saving.load_model({MODEL!r})"

LIVE_MEMORY = """
import keras, policyfactory as pf
model = keras.applications.VGG16(weights=None)
pf.audit(model)  # warm up: imports, first slices

def kib(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1])

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the peak resident size starts again from the current one
before = kib("VmRSS")
assert pf.audit(model) == []
print("GROWTH_MB", (kib("VmHWM") - before) / 1024)
"""


def build() -> None:
    if os.path.exists(MODEL):
        return
    os.makedirs(CACHE, exist_ok=True)
    subprocess.run([PY, "-c", BUILD], env=ENV, check=True, capture_output=True)
    os.replace(MODEL + ".tmp.keras", MODEL)


def timed(args) -> float:
    t = time.perf_counter()
    r = subprocess.run(args, cwd=ROOT, env=ENV, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{args} exited {r.returncode}: {r.stdout[-500:]} {r.stderr[-500:]}")
    return elapsed


def live_memory_mb() -> float | None:
    if not os.access("/proc/self/clear_refs", os.W_OK):
        return None
    r = subprocess.run([PY, "-c", LIVE_MEMORY], cwd=ROOT, env=ENV, capture_output=True, text=True, check=True)
    return float(r.stdout.split("GROWTH_MB")[1])


def main(rounds=5):
    build()
    size_mb = os.path.getsize(MODEL) / 1e6
    audit_cmd = [PY, "-m", "policyfactory", "audit", MODEL]
    timed(audit_cmd)  # warm the page cache and the imports once for both
    timed([PY, "-c", LOAD])
    audit_t, load_t = [], []
    for _ in range(rounds):
        audit_t.append(timed(audit_cmd))
        load_t.append(timed([PY, "-c", LOAD]))
    a, b = summary(audit_t), summary(load_t)
    ratio = statistics.median(audit_t) / statistics.median(load_t)
    rows = [row(f"audit VGG16 .keras ({size_mb:.0f} MB), whole process", a,
                "keras.saving.load_model, whole process", b, ratio, "<= 0.10", ratio <= 0.10)]
    growth = live_memory_mb()
    if growth is not None:
        rows.append(row("live audit of VGG16: peak memory growth", {"median": growth, "unit": "MB"},
                        "target 100 MB", {"median": 100.0, "unit": "MB"}, growth / 100.0, "< 100 MB", growth < 100))
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
