"""The three cost attacks of Hardening II as whole processes: under 10 s each, output under 1 MB, linear growth.

1. one YAML alias of a 1 MB string used as 3,000 layer names;
2. 4,000 unknown `inputs:` names (did-you-mean over a growing set of layer names);
3. 8,000 deny rules judged over 8,000 slots of one sharing group.

Growth compares each attack with the same attack at a tenth of its size.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ENV, PY, ROOT, row, summary, time_process

HEAD = "kind: model\nversion: 1\n"


def alias_file(folder, names):
    path = os.path.join(folder, f"alias{names}.yaml")
    with open(path, "w") as fh:
        fh.write(HEAD + "input: {shape: [4]}\nlayers:\n")
        fh.write('  - {type: Dense, units: 1, name: &n "' + "x" * 1_000_000 + '"}\n')
        fh.writelines("  - {type: Dense, units: 1, name: *n}\n" for _ in range(names))
    return path


def references_file(folder, n):
    path = os.path.join(folder, f"refs{n}.yaml")
    with open(path, "w") as fh:
        fh.write(HEAD + "inputs: {a: {shape: [4]}}\nlayers:\n")
        fh.writelines(f"  - {{type: Dense, units: 1, name: layer_{i}, inputs: [missing_layer_{i}]}}\n" for i in range(n))
    return path


def rules_file(folder, n):
    policy = os.path.join(folder, f"deny{n}.yaml")
    with open(policy, "w") as fh:
        fh.write("kind: policy\nversion: 1\nname: many\nrules:\n")
        fh.writelines(f"  - {{id: r{i}, component: constraint, layers: [Dense], share: deny}}\n" for i in range(n))
    path = os.path.join(folder, f"slots{n}.yaml")
    with open(path, "w") as fh:
        fh.write(HEAD + f"policy: deny{n}.yaml\ninput: {{shape: [4]}}\nshared:\n  norm: {{constraint: UnitNorm}}\nlayers:\n")
        fh.writelines("  - {type: Dense, units: 2, kernel_constraint: {shared: norm}}\n" for _ in range(n))
    return path


def output_size(path):
    r = subprocess.run([PY, "-m", "policyfactory", "validate", "--max-bytes", "20000000", path], cwd=ROOT, env=ENV,
                       capture_output=True, check=False)
    return len(r.stdout) + len(r.stderr), r.returncode


def main(runs=3):
    folder = tempfile.mkdtemp()
    cases = [("alias of a 1 MB string as 3,000 names", alias_file, 3000),
             ("4,000 unknown inputs: names", references_file, 4000),
             ("8,000 deny rules x 8,000 slots", rules_file, 8000)]
    rows = []
    for title, make, n in cases:
        big, small = make(folder, n), make(folder, n // 10)
        size, code = output_size(big)
        assert code in (1, 2), (title, code)
        cmd = [PY, "-m", "policyfactory", "validate", "--max-bytes", "20000000"]
        t_big, t_small = summary(time_process(cmd + [big], runs)), summary(time_process(cmd + [small], runs))
        rows.append(row(f"{title} (process, {size:,} bytes out)", t_big, "target 10 s, output < 1 MB", {"median": 10.0},
                        t_big["median"] / 10.0, "< 10 s, < 1 MB", t_big["median"] < 10 and size < 1_000_000))
        growth = t_big["median"] / t_small["median"]
        rows.append(row(f"{title}: growth vs a tenth", t_big, "a tenth of the size", t_small, growth, "<= 12x (linear)",
                        growth <= 12))
    return rows


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
