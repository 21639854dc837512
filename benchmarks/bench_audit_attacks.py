"""The cost attacks of Hardening III on `audit` and `export`, as whole processes: time and peak memory each.

Each crafted file (tests/crafted.py) once cost minutes or gigabytes: a legacy .h5 listing one
layer and one weight 60 times, 1,000 hard links to one dataset, 600 identical copies, a DAG of
hard links, 200 links to one 64 MiB gzip chunk, 20 distinct such chunks, 61 MiB of `[]` in a
config (audit) and in 60 KB (export), `export /dev/zero`, and 4,000 layers with 4,000 allow
entries (validate). Target: under 10 s and 2 GB each, exit 0, 1 or 2 (never an internal error);
the allow case also grows linearly against a tenth of its size.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import crafted
from _common import ENV, PY, ROOT, row, summary

MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
elapsed = time.perf_counter() - t
out = (r.stdout + r.stderr).decode(errors="replace")
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode, int("internal error" in out))
"""


def measure(args, runs):
    """(times, peak resident MB, exit code, internal error) of `python -m policyfactory ARGS`, run `runs` times."""
    times, peak, code, bug = [], 0.0, None, False
    for _ in range(runs):
        r = subprocess.run([PY, "-c", MEASURE, PY, "-m", "policyfactory", *args], cwd=ROOT, env=ENV,
                           capture_output=True, text=True, check=True)
        t, kb, code, internal = r.stdout.split()
        times.append(float(t))
        peak = max(peak, int(kb) / 1024)
        bug = bug or internal == "1"
    return times, peak, int(code), bug


def main(runs=3):
    folder = tempfile.mkdtemp()
    cases = [(f"audit {name}", ["audit", crafted.write(name, folder)]) for name in crafted.ATTACKS]
    cases.append(("audit 20 distinct 64 MiB gzip chunks",
                  ["audit", crafted.gzip_chunk_datasets(os.path.join(folder, "chunks.h5"), datasets=20)]))
    cases.append(("export 60 MiB of [] in 60 KB",
                  ["export", crafted.json_lists(os.path.join(folder, "bomb.keras"), mib=60, noise=0)]))
    cases.append(("export /dev/zero", ["export", "/dev/zero"]))
    big, small = crafted.allow_file_model(folder, 4000), crafted.allow_file_model(folder, 400)
    cases.append(("validate 4,000 layers, 4,000 allow entries", ["validate", "--max-bytes", "20000000", big]))
    rows = []
    for title, args in cases:
        times, peak, code, bug = measure(args, runs)
        fig = summary(times)
        ok = fig["median"] < 10 and peak < 2048 and code in (0, 1, 2) and not bug
        rows.append(row(f"{title} (exit {code}, peak {peak:,.0f} MB)", fig, "target 10 s, 2 GB", {"median": 10.0},
                        fig["median"] / 10.0, "< 10 s, < 2 GB, exit 0-2", ok))
    t_big = summary(measure(["validate", "--max-bytes", "20000000", big], runs)[0])
    t_small = summary(measure(["validate", "--max-bytes", "20000000", small], runs)[0])
    growth = t_big["median"] / t_small["median"]
    rows.append(row("allow entries: growth vs a tenth", t_big, "a tenth of the size", t_small, growth,
                    "<= 12x (linear)", growth <= 12))
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
