"""`policyfactory validate` of one small model as a whole process, against the floor, yamllint and TensorFlow.

The floor is what any Pydantic-validated YAML tool pays: a Python process that
imports PyYAML and Pydantic and validates one trivial model. Processes are timed
in interleaved pairs (ours, then the reference, 15 times) and the ratio is the
median of the per-pair ratios, so a machine that slows down during the run
slows both sides of a pair. The package is byte-compiled first, as `pip install`
does: a run that compiled our sources would time the compiler. Both tools are
run as the commands pip installs (`policyfactory`, `yamllint`).
"""

import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ENV, PY, ROOT, row, summary, time_process

FLOOR = ("import yaml, pydantic\n"
         "class M(pydantic.BaseModel):\n    name: str\n    units: int\n"
         "M.model_validate(yaml.safe_load('name: a\\nunits: 3'))\n")


def _once(args) -> float:
    t = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def pairs(ours, reference, runs=15):
    """(our times, reference times, median of per-pair ratios), the two run alternately."""
    a, b = [], []
    for _ in range(runs):
        a.append(_once(ours))
        b.append(_once(reference))
    return a, b, statistics.median(x / y for x, y in zip(a, b))


def main(runs=15):
    compileall.compile_dir(os.path.join(ROOT, "policyfactory"), quiet=1)
    model = os.path.join(ROOT, "examples", "forecaster.yaml")
    # the `policyfactory` command pip installs, as `yamllint` is timed through its own
    command = shutil.which("policyfactory", path=os.path.dirname(PY))
    validate_cmd = [command, "validate", model] if command else [PY, "-m", "policyfactory", "validate", model]
    ours, floor, r_floor = pairs(validate_cmd, [PY, "-c", FLOOR], runs)
    rows = [row("validate small model (process)", summary(ours), "floor: yaml + pydantic + one model (process)",
                summary(floor), r_floor, "<= 1.05", r_floor <= 1.05)]
    yamllint = shutil.which("yamllint", path=os.path.dirname(PY))
    if yamllint:
        ours_y, lint, r_lint = pairs(validate_cmd, [yamllint, model], runs)
        rows.append(row("validate small model (process)", summary(ours_y), "yamllint on the same file (process)",
                        summary(lint), r_lint, "<= 1.0", r_lint <= 1.0))
    tf = summary(time_process([PY, "-c", "import tensorflow"], 3))
    r_tf = statistics.median(ours) / tf["median"]
    rows.append(row("validate small model (process)", summary(ours), "python -c 'import tensorflow'", tf, r_tf,
                    "<= 0.10", r_tf <= 0.10))
    bomb = summary(time_process([PY, "-m", "policyfactory", "validate",
                                 os.path.join(ROOT, "tests", "corpus", "billion_laughs.yaml")], 5))
    rows.append(row("validate 271-byte alias bomb (process, exit 2)", bomb, "target 2 s", {"median": 2.0},
                    bomb["median"] / 2.0, "< 2 s", bomb["median"] < 2.0))
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
