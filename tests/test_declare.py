"""A project's own layer classes as data: `policyfactory declare MODULE:CLASS --write`, then validate
without importing anything, and build/audit importing the module the declaration names.

Every step runs the real CLI in a real project folder (a git work tree with `mypkg/layers.py`).
"""

import json
import os

import pytest
from conftest import run_cli, without_keras

SCALE = '''import keras


@keras.saving.register_keras_serializable(package="mypkg")
class Scale(keras.layers.Layer):
    def __init__(self, units=4, kernel_initializer="glorot_uniform", {extra}**kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, shape):
        self.kernel = self.add_weight(shape=(shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel")

    def call(self, x):
        return x @ self.kernel

    def get_config(self):
        return {{**super().get_config(), "units": self.units,
                 "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}}
'''

GOOD = """kind: model
version: 1
input: {shape: [8]}
layers:
  - {type: Scale, name: s1, units: 4}
  - {type: Scale, name: s2, units: 4}
"""

BAD = """kind: model
version: 1
input: {shape: [8]}
shared:
  he: {initializer: HeNormal}
layers:
  - {type: Scale, name: s1, units: 4, kernel_initializer: {shared: he}}
  - {type: Scale, name: s2, units: 4, kernel_initializer: {shared: he}}
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".git").mkdir()  # the settings search stops at the top of the work tree
    pkg = tmp_path / "mypkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "layers.py").write_text(SCALE.format(extra=""))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n\n[tool.policyfactory]\nformat = "text"\n')
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text(BAD)
    return tmp_path


def test_declare_write_then_validate_without_keras_then_build(project):
    assert run_cli("validate", "good.yaml", cwd=project).returncode == 2  # Scale is unknown before
    r = run_cli("declare", "mypkg.layers:Scale", "--write", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    text = (project / "pyproject.toml").read_text()
    assert text.startswith('[project]\nname = "demo"\n\n[tool.policyfactory]\nformat = "text"\n')  # the rest is kept
    assert '[tool.policyfactory.layers.Scale]\nmodule = "mypkg.layers"\nclass = "Scale"' in text
    assert 'kernel_initializer = {kind = "initializer", role = "kernel", default = "GlorotUniform"}' in text

    marker = project / "imported"  # the class's module would leave this if it were imported
    layers = project / "mypkg" / "layers.py"
    layers.write_text(f"open({str(marker)!r}, 'w').close()\n" + layers.read_text())
    env = without_keras(project)  # a core-only install: importing keras or tensorflow fails
    r = run_cli("validate", "good.yaml", "bad.yaml", "--format", "json", cwd=project, env=env)
    assert r.returncode == 1, r.stdout + r.stderr
    found = json.loads(r.stdout)["findings"]
    assert [(os.path.basename(f["file"]), f["rule"], f["slots"]) for f in found] == [
        ("bad.yaml", "sharing-violation", ["s1.kernel_initializer", "s2.kernel_initializer"])]
    assert not marker.exists()

    r = run_cli("build", "good.yaml", "-o", "good.keras", cwd=project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert marker.exists()  # build imports the module the declaration names
    import sys

    sys.path.insert(0, str(project))
    try:
        import keras
        import mypkg.layers  # noqa: F401  registers Scale with Keras, as the user's code does
        model = keras.saving.load_model(str(project / "good.keras"))
        assert [type(layer).__name__ for layer in model.layers if type(layer).__name__ != "InputLayer"] == [
            "Scale", "Scale"]
        assert model.count_params() == 8 * 4 + 4 * 4  # s1: 8 -> 4, s2: 4 -> 4
    finally:
        sys.path.remove(str(project))
        for name in [m for m in sys.modules if m == "mypkg" or m.startswith("mypkg.")]:
            del sys.modules[name]


def test_a_declaration_that_no_longer_matches_its_class_stops_build(project):
    assert run_cli("declare", "mypkg.layers:Scale", "--write", cwd=project).returncode == 0
    (project / "mypkg" / "layers.py").write_text(SCALE.format(extra="*, gain, "))  # a new required argument
    r = run_cli("build", "good.yaml", "-o", "good.keras", cwd=project)
    assert r.returncode == 2 and "declared-stale" in r.stdout and "now requires gain" in r.stdout
    assert not (project / "good.keras").exists()
    assert run_cli("validate", "good.yaml", cwd=project).returncode == 0  # data alone still judges the files
    assert run_cli("declare", "mypkg.layers:Scale", "--write", cwd=project).returncode == 0  # declared again
    text = (project / "pyproject.toml").read_text()
    assert text.count("[tool.policyfactory.layers.Scale]") == 1 and "gain = {required = true}" in text
    r = run_cli("validate", "good.yaml", "--format", "json", cwd=project)
    assert r.returncode == 2 and "'gain'" in r.stdout  # the files must now say it


def test_declarations_cannot_shadow_keras_and_bad_ones_are_located(project):
    with open(project / "pyproject.toml", "a") as fh:
        fh.write('\n[tool.policyfactory.layers.Dense]\nmodule = "mypkg.layers"\nclass = "Scale"\n')
    r = run_cli("validate", "good.yaml", cwd=project)
    assert r.returncode == 2 and "settings-invalid" in r.stdout and "cannot shadow a built-in" in r.stdout
    (project / "pyproject.toml").write_text('[tool.policyfactory.layers.Scale]\nmodule = "os; import x"\nclass = "S"\n')
    r = run_cli("validate", "good.yaml", cwd=project)
    assert r.returncode == 2 and "layers.Scale.module" in r.stdout and "Traceback" not in r.stderr
    (project / "pyproject.toml").write_text('[tool.policyfactory.layers.Scale]\nmodule = "mypkg.nothere"\n'
                                            'class = "Scale"\nparams = {units = {default = 4}}\n')
    assert run_cli("validate", "good.yaml", cwd=project).returncode == 0  # validate imports nothing
    r = run_cli("build", "good.yaml", "-o", "x.keras", cwd=project)
    assert r.returncode == 2 and "pyproject.toml:1:1: error declared-import" in r.stdout and "mypkg.nothere" in r.stdout
    r = run_cli("declare", "mypkg.layers:Dense", "not a spec", cwd=project)
    assert r.returncode == 2 and "argument-invalid" in r.stdout and "declared-import" in r.stdout
