"""The built wheel, installed alone in a fresh venv, validates files outside the checkout (issue 22, Install).

Every other test imports the package from the checkout (an editable install), where a data file
missing from the wheel or a warning of the build cannot show. `scripts/wheel_check.py` builds the
sdist and the wheel from it, checks the wheel holds every file of the package and the build printed
no warning, installs the wheel into a new venv from a temporary folder and runs `policyfactory
validate` there (exit 0, 1 and 2 as the files deserve). CI runs the same script (`make wheel-check`).
"""

import subprocess
import sys

from conftest import ROOT


def test_wheel_installs_alone_and_validates_outside_the_checkout():
    proc = subprocess.run([sys.executable, "scripts/wheel_check.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "(no warnings)" in out and "alone into a fresh venv" in out
    for line in ("validate regularized.yaml: exit 0", "validate forecaster.yaml: exit 0",
                 "validate shared_he_normal.yaml: exit 1", "validate broken.yaml: exit 2"):
        assert line in out, out
    assert "wheel check passed" in out
