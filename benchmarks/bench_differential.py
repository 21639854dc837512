"""The differential rate on random catalog models: of the models `validate` passes, how many `build` refuses.

Draws random model files over every catalog layer type, wrapper and component (tests/randmodels.py) from seeds
the tests never use (10**9 and up), validates each, and builds each one validate passes. Target: at most 5%.

    python benchmarks/bench_differential.py [--passed 400] [--start 1000000000] [-v]
"""

import collections
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

SEED_BASE = 10**9  # tests draw seeds below 2**30 - 1; never these


def measure(passed_target: int = 400, start: int = SEED_BASE, verbose: bool = False, limit: int = 100000):
    import keras
    from randmodels import random_model

    import policyfactory as pf
    from policyfactory.core.findings import PolicyfactoryError

    passed = refused = drawn = 0
    causes: collections.Counter = collections.Counter()
    t0 = time.perf_counter()
    seed = start
    while passed < passed_target and drawn < limit:
        spec = random_model(seed)
        seed += 1
        drawn += 1
        if any(f.severity == "error" for f in pf.validate(spec)):
            continue
        passed += 1
        try:
            pf.build_model(spec)
        except PolicyfactoryError as exc:
            refused += 1
            msg = str(exc).splitlines()[-1] if str(exc) else type(exc).__name__
            key = " ".join(msg.split(":", 3)[-1].split()[:12])
            causes[key] += 1
            if verbose:
                print(f"seed {seed - 1}: {msg[:300]}")
        keras.backend.clear_session()
    return {"drawn": drawn, "passed": passed, "refused": refused, "rate": refused / max(passed, 1),
            "seconds": time.perf_counter() - t0, "causes": causes}


def main(argv):
    target = int(argv[argv.index("--passed") + 1]) if "--passed" in argv else 400
    start = int(argv[argv.index("--start") + 1]) if "--start" in argv else SEED_BASE
    r = measure(target, start, "-v" in argv)
    # the summary on stderr, the row make bench reads (benchmarks/run_all.py) on stdout
    print(f"random models drawn {r['drawn']}, validate passed {r['passed']}, build refused {r['refused']} "
          f"({100 * r['rate']:.1f}%), {r['seconds']:.0f} s", file=sys.stderr)
    for cause, n in r["causes"].most_common(15):
        print(f"  {n:4d}  {cause}", file=sys.stderr)
    from _common import row

    print(json.dumps([row(f"validate passes, build refuses ({r['refused']} of {r['passed']} random models)",
                          {"median": 100 * r["rate"], "unit": "%"}, "target", {"median": 5.0, "unit": "%"},
                          r["rate"] / 0.05, "<= 5%", r["rate"] <= 0.05)], indent=2))
    return 0 if r["rate"] <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
