"""`make bench`: every performance target against its reference, measured in this run.

Prints a table and writes benchmarks/results.json. Exit 1 if a target is missed.
"""

import json
import os
import platform
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = ["bench_validate_startup.py", "bench_validate_folder.py", "bench_validate_scale.py", "bench_hardening.py",
           "bench_build.py", "bench_audit.py", "bench_audit_file.py", "bench_audit_attacks.py", "bench_differential.py",
           "bench_python_sources.py", "bench_export.py"]


def fmt(fig):
    unit = fig.get("unit", "s")
    sep = " " if unit != "s" else ""
    return f"{fig['median']:.3f}{sep}{unit}" + (f" [{fig['min']:.3f}-{fig['max']:.3f}]" if "min" in fig else "")


def main():
    rows = []
    for script in SCRIPTS:  # each in its own process: no import state leaks between figures
        r = subprocess.run([sys.executable, os.path.join(HERE, script)], capture_output=True, text=True)
        if r.returncode not in (0, 1) or "[" not in r.stdout:  # 1: a target missed, the row says which
            print(f"{script} exited {r.returncode} without its figures:\n{r.stderr[-2000:]}", file=sys.stderr)
            return 2
        rows.extend(json.loads(r.stdout[r.stdout.index("["):]))
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(f"{'benchmark':45} {'median [min-max]':24} {'reference':38} {'ref median':24} {'ratio':>7}  target")
    for r in rows:
        print(f"{r['benchmark']:45} {fmt(r['figure']):24} {r['reference']:38} {fmt(r['reference_figure']):24} "
              f"{r['ratio']:7.3f}  {r['target']} {'ok' if r['ok'] else 'MISSED'}")
    with open(os.path.join(HERE, "results.json"), "w") as fh:
        json.dump({"machine": machine, "results": rows}, fh, indent=2)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
