"""Check what a user gets from `pip install` of a built wheel, away from this checkout.

Why: the editable install every test uses reads the package from the checkout, so a data
file missing from the wheel (the catalog, a shipped policy, a schema) or a build warning
would never show there. This script builds the sdist and, from it, the wheel (as
`python -m build` does), then:

1. the build printed no warning (a deprecated `project.license` table warns on every build);
2. every file of the package in the checkout (modules and data) is in the wheel;
3. a fresh venv (`python -m venv`) gets the wheel alone (its core dependencies from pip's
   cache or the index; no `-e`, no checkout on `sys.path`, run from a temporary folder);
4. there, `policyfactory validate` of model files copied outside the checkout exits 0 for a
   good file (also one naming a shipped policy), 1 for a policy violation and 2 for a broken
   file, `schema` prints the schemas the checkout ships, and the package is the installed one.

Run it with `make wheel-check` (CI runs it after `make test`); `tests/test_wheel.py` runs it too.
Exit 0 when every check passes, else 1 with the failed check on stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "policyfactory"
# model files copied out of the checkout, each with the exit code `validate` must give
CASES = {
    "regularized.yaml": 0,  # nothing shared: strict accepts it
    "forecaster.yaml": 0,  # names the shipped `recurrent` policy, read from the wheel
    "shared_he_normal.yaml": 1,  # one HeNormal shared by three layers: a policy violation
}
BROKEN = "kind: model\nversion: 1\ninput: {shape: [8]}\nlayers:\n  - {type: Dense, units: 8\n"  # unclosed brace


class CheckFailed(Exception):
    pass


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _clean_env() -> dict[str, str]:
    """The environment without PYTHON* variables (no PYTHONPATH to the checkout) and without the user's site."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def build(outdir: Path) -> tuple[Path, Path]:
    """The sdist and the wheel built from it; raises CheckFailed on a failed build or any warning."""
    # without PYTHONDONTWRITEBYTECODE (make exports it), whose "byte-compiling is disabled" notes say warning
    proc = _run([sys.executable, "-m", "build", "--outdir", str(outdir), str(ROOT)], cwd=ROOT, env=_clean_env())
    if proc.returncode != 0:
        raise CheckFailed(f"python -m build failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    noisy = [line for line in (proc.stdout + proc.stderr).splitlines() if "warning" in line.lower()]
    if noisy:
        raise CheckFailed("the build printed warnings:\n" + "\n".join(noisy[:20]))
    wheels, sdists = sorted(outdir.glob("*.whl")), sorted(outdir.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"expected one wheel and one sdist in {outdir}, found {wheels + sdists}")
    return sdists[0], wheels[0]


def package_files() -> set[str]:
    """Every file of the package in the checkout, as a path inside the wheel (compiled files aside)."""
    return {p.relative_to(ROOT).as_posix() for p in PACKAGE.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo")}


def check_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next((zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA")), "")
    missing = sorted(package_files() - names)
    if missing:
        raise CheckFailed(f"{wheel.name} lacks {len(missing)} file(s) of the package: {', '.join(missing[:10])}")
    if "License-Expression: Apache-2.0" not in metadata:
        raise CheckFailed(f"{wheel.name}: METADATA has no 'License-Expression: Apache-2.0'")


def install(wheel: Path, tmp: Path) -> Path:
    """A fresh venv with the wheel (and its core dependencies) installed; returns the venv's bin folder."""
    venv = tmp / "venv"
    env = _clean_env()
    proc = _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp, env=env)
    if proc.returncode != 0:
        raise CheckFailed(f"python -m venv failed:\n{proc.stderr[-3000:]}")
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    proc = _run([str(bindir / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
                cwd=tmp, env=env)
    if proc.returncode != 0:
        raise CheckFailed(f"pip install of {wheel.name} into a fresh venv failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return bindir


def check_installed(bindir: Path, tmp: Path) -> list[str]:
    """Run the installed command on files outside the checkout; returns what was checked, one line each."""
    work = tmp / "work"
    work.mkdir()
    env = _clean_env()
    done = []
    proc = _run([str(bindir / "python"), "-c", "import policyfactory; print(policyfactory.__file__)"], cwd=work, env=env)
    where = Path(proc.stdout.strip()).resolve()
    if proc.returncode != 0 or bindir.parent.resolve() not in where.parents:
        raise CheckFailed(f"import policyfactory did not give the installed package: {proc.stdout}{proc.stderr}")
    done.append(f"import policyfactory -> {where}")
    cases = dict(CASES)
    for name in CASES:
        shutil.copyfile(ROOT / "examples" / name, work / name)
    (work / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    cases["broken.yaml"] = 2
    exe = str(bindir / "policyfactory")
    for name, expected in cases.items():
        proc = _run([exe, "validate", name], cwd=work, env=env)
        if proc.returncode != expected:
            raise CheckFailed(f"policyfactory validate {name}: exit {proc.returncode}, expected {expected}\n"
                              f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        done.append(f"policyfactory validate {name}: exit {proc.returncode}")
    for kind in ("model", "policy"):
        proc = _run([exe, "schema", kind], cwd=work, env=env)
        shipped = (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
        if proc.returncode != 0 or proc.stdout.strip() != shipped.strip():
            raise CheckFailed(f"policyfactory schema {kind}: exit {proc.returncode}, or not schemas/{kind}.schema.json")
        done.append(f"policyfactory schema {kind}: the shipped schema")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="pf-wheel-check-"))
    start = time.perf_counter()
    try:
        sdist, wheel = build(tmp / "dist")
        print(f"built {sdist.name} and {wheel.name} (no warnings) in {time.perf_counter() - start:.1f} s")
        check_contents(wheel)
        print(f"{wheel.name} holds all {len(package_files())} files of the package")
        bindir = install(wheel, tmp)
        print(f"installed {wheel.name} alone into a fresh venv")
        for line in check_installed(bindir, tmp):
            print(line)
    except CheckFailed as err:
        print(f"wheel check failed: {err}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"wheel check passed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
