"""Shared helpers: timing by median of runs, and one result row format."""

import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
# Every figure is a first run: no results cache (core/resultcache.py), and nothing written under ~/.cache.
# bench_validate_folder.py times the cache on its own row, with a cache folder of its own.
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", POLICYFACTORY_NO_CACHE="1")


def time_process(args, runs=5, cwd=ROOT):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return times


def summary(times):
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times)}


def row(name, figure, reference_name, reference, ratio, target, ok):
    return {"benchmark": name, "figure": figure, "reference": reference_name, "reference_figure": reference,
            "ratio": ratio, "target": target, "ok": bool(ok)}
