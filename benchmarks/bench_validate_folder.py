"""`policyfactory validate FOLDER` of 200 model files, against loading the same files with libyaml's C loader.

The reference is the floor of any YAML tool: one Python process that reads every
file and parses it with PyYAML's `CSafeLoader` (libyaml), nothing checked. Ours
is the whole command as a user runs it (a process: start-up, settings, the
folder walk, loading with marks, schema, catalog, wiring and the plan of every
model). Both are timed in interleaved pairs; the ratio is the median of the
per-pair ratios. The package is byte-compiled first, as `pip install` does.

Two rows: the first run (`--no-cache`: every file checked), and a run again with
the files unchanged, the results read from the results cache (core/resultcache.py:
every file read and its SHA-256 compared), in a cache folder of this run's own.
"""

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ENV, PY, ROOT, row, summary

N_FILES = 200
FLOOR = ("import os, sys, yaml\n"
         "folder = sys.argv[1]\n"
         "for name in sorted(os.listdir(folder)):\n"
         "    with open(os.path.join(folder, name), 'rb') as fh:\n"
         "        yaml.load(fh.read(), Loader=yaml.CSafeLoader)\n")


def corpus(folder: str) -> None:
    """200 model files: the examples, each copied under new names (every one a full model with its policy)."""
    examples = sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".yaml"))
    for i in range(N_FILES):
        src = os.path.join(ROOT, "examples", examples[i % len(examples)])
        shutil.copy(src, os.path.join(folder, f"m{i:03d}.yaml"))


def _once(args, cwd, env=ENV) -> float:
    t = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main(runs=7):
    compileall.compile_dir(os.path.join(ROOT, "policyfactory"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "models")
        os.mkdir(folder)
        corpus(folder)
        ours = [PY, "-m", "policyfactory", "validate", "--policy", "strict", "models"]
        floor = [PY, "-c", FLOOR, "models"]
        cached = {k: v for k, v in ENV.items() if k != "POLICYFACTORY_NO_CACHE"}
        cached["POLICYFACTORY_CACHE_DIR"] = os.path.join(tmp, "cache")
        _once(ours, tmp, cached)  # the run that fills the cache
        a, b, c = [], [], []
        for _ in range(runs):
            a.append(_once(ours, tmp))
            b.append(_once(floor, tmp))
            c.append(_once(ours, tmp, cached))
        ratio = statistics.median(x / y for x, y in zip(a, b))
        again = statistics.median(x / y for x, y in zip(c, b))
    floor_name = "floor: libyaml CSafeLoader, same files (process)"
    return [row(f"validate a folder of {N_FILES} model files, first run: every file checked (process)", summary(a),
                floor_name, summary(b), ratio, "<= 1.2", ratio <= 1.2),
            row(f"validate the same {N_FILES} files again, unchanged: results from the cache (process)", summary(c),
                floor_name, summary(b), again, "<= 1.2", again <= 1.2)]


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
