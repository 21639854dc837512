"""`validate` of all of keras_hub's sources (installed), against parsing them with `ast` (in-process).

The target (issue "Python sources"): judging every file, read together, costs at most 3x
parsing them. Both are measured in this run, on the same files, as `policyfactory
validate` runs (the CLI pauses the cyclic garbage collector for a command; the parse
reference keeps no tree, so it never gives the collector work). The whole-process time of
`policyfactory validate keras_hub/src` is reported beside it.
"""

import ast
import gc
import glob
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import PY, row, summary, time_process

from policyfactory.cli import _gc_paused
from policyfactory.core.policy import load_policy
from policyfactory.core.pycheck import check_paths


def sources():
    import importlib.util

    spec = importlib.util.find_spec("keras_hub")
    root = os.path.join(os.path.dirname(spec.origin), "src")
    return root, sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True))


def parse_all(files):
    for f in files:
        with open(f, "rb") as fh:
            ast.parse(fh.read())


def judge_all(files, policy):
    with _gc_paused():
        result = check_paths([(f, None) for f in files], policy)
    return result


def timed(fn, runs):
    out = []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main():
    root, files = sources()
    policy = load_policy("stateless")
    result = judge_all(files, policy)  # warm the file cache and the catalog
    errors = [f for f in result.findings if f.category == "invalid"]
    parse = timed(lambda: parse_all(files), 5)
    judge = timed(lambda: judge_all(files, policy), 5)
    cli = time_process([PY, "-m", "policyfactory", "validate", root, "--policy", "stateless", "-q"], runs=3)
    ratio = summary(judge)["median"] / summary(parse)["median"]
    rows = [
        row(f"validate keras_hub/src ({len(files)} files, {len(result.findings)} findings)", summary(judge),
            "ast.parse of the same files", summary(parse), ratio, "<= 3.0, no invalid", ratio <= 3.0 and not errors),
        row("  the same as a whole process (policyfactory validate)", summary(cli),
            "ast.parse of the same files", summary(parse), summary(cli)["median"] / summary(parse)["median"],
            "reported", True),
    ]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
