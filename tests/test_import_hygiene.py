"""validate, export, schema and --help never import TensorFlow or Keras."""

import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from conftest import EXAMPLES, POLICIES, ROOT, without_keras

PROBE = """
import sys
from policyfactory.cli import main
try:
    code = main({args!r})
except SystemExit as e:
    code = e.code
bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'jax', 'torch'))
print('IMPORTED', bad)
"""


@pytest.mark.parametrize("args", [
    ["validate", os.path.join(POLICIES, "strict.yaml")],
    ["validate", os.path.join(EXAMPLES, "forecaster.yaml"), os.path.join(EXAMPLES, "shared_he_normal.yaml")],
    ["schema", "model"],
    ["schema", "policy"],
    ["--help"],
    ["validate", "--help"],
])
def test_command_imports_no_tensorflow_or_keras(args):
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, cwd=ROOT)
    assert "IMPORTED []" in r.stdout, r.stdout + r.stderr


def test_export_reads_a_keras_file_without_tensorflow_or_keras(tmp_path):
    dense = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 2}}
    config = {"module": "keras", "class_name": "Sequential", "config": {"name": "tiny", "layers": [
        {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 4]}}, dense]}}
    path = tmp_path / "tiny.keras"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps(config))
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=["export", str(path)])], capture_output=True,
                       text=True, cwd=ROOT)
    assert "IMPORTED []" in r.stdout and "type: Dense" in r.stdout, r.stdout + r.stderr


def test_import_policyfactory_is_tensorflow_free():
    code = "import sys, policyfactory; print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow','keras')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.strip() == "[]", r.stdout + r.stderr


def test_validate_works_where_tensorflow_cannot_be_imported(tmp_path):
    """Simulate a core-only install: any import of tensorflow/keras fails loudly."""
    env = dict(os.environ, **without_keras(tmp_path))
    r = subprocess.run([sys.executable, "-m", "policyfactory", "validate", os.path.join(POLICIES, "recurrent.yaml"),
                        os.path.join(EXAMPLES, "forecaster.yaml")], capture_output=True, text=True, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stdout + r.stderr


def test_keras_side_never_uses_tf_keras():
    pkg = os.path.join(ROOT, "policyfactory")
    for folder, _, files in os.walk(pkg):
        for name in files:
            if name.endswith(".py"):
                text = open(os.path.join(folder, name), encoding="utf-8").read()
                assert not re.search(r"tf\.keras\.|import tensorflow\.keras|from tensorflow import keras", text), name


def core_imports(package="core"):
    """Every import anywhere in a module of the package (top level, inside functions, importlib calls):
    (file, line, module)."""
    import ast
    core = os.path.join(ROOT, "policyfactory", package)
    for name in sorted(os.listdir(core)):
        if not name.endswith(".py"):
            continue
        tree = ast.parse(open(os.path.join(core, name), encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield name, node.lineno, alias.name
            elif isinstance(node, ast.ImportFrom):
                # resolve relative imports against policyfactory.<package>
                base = ["policyfactory", package][: max(0, 2 - (node.level - 1))] if node.level else []
                yield name, node.lineno, ".".join(base + ([node.module] if node.module else []))
            elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                    "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                yield name, node.lineno, str(node.args[0].value)


def test_core_never_imports_the_keras_side_keras_or_tensorflow():
    seen = list(core_imports())
    assert any(mod == "policyfactory.core.findings" for _, _, mod in seen)  # relative imports are resolved
    bad = [(f, line, mod) for f, line, mod in seen
           if mod.split(".")[0] in ("keras", "tensorflow", "tf_keras", "numpy", "h5py")
           or mod.startswith(("policyfactory.keras_side", "policyfactory.fileaudit")) or mod == "policyfactory.cli"]
    assert bad == []


def test_the_file_audit_imports_only_the_standard_library_numpy_h5py_and_the_core():
    seen = list(core_imports("fileaudit"))
    assert any(mod == "policyfactory.core.findings" for _, _, mod in seen)
    third_party = {mod.split(".")[0] for _, _, mod in seen
                   if mod.split(".")[0] not in sys.stdlib_module_names and not mod.startswith("policyfactory")}
    assert third_party == {"numpy", "h5py"}
    assert [m for _, _, m in seen if m.startswith("policyfactory.") and not m.startswith(
        ("policyfactory.core", "policyfactory.fileaudit"))] == []


def test_commands_that_need_keras_say_how_to_install_it_in_a_core_only_install(tmp_path):
    """pip install policyfactory (no numpy, no TensorFlow): build and audit of a model file end in the install line."""
    env = dict(os.environ, **without_keras(tmp_path, modules=("tensorflow", "keras", "numpy", "h5py")))
    model = os.path.join(EXAMPLES, "forecaster.yaml")
    for command in (["audit", model], ["build", model, "-o", str(tmp_path / "m.keras")]):
        r = subprocess.run([sys.executable, "-m", "policyfactory", *command], capture_output=True, text=True, env=env)
        assert r.returncode == 2 and "internal error" not in r.stdout + r.stderr, r.stdout + r.stderr
        assert "keras-error" in r.stdout and "pip install 'policyfactory[keras]'" in r.stdout
    assert not (tmp_path / "m.keras").exists()


def test_validate_of_well_formed_files_loads_none_of_the_heavy_modules_it_does_without():
    """Start-up (docs/performance.md): each of these was measured at 1-20% of a small file's run. A new import of
    one of them on validate's path fails here, not months later in a benchmark."""
    heavy = ("pydantic", "pydantic_core", "dataclasses", "inspect", "hashlib", "_hashlib", "shutil", "threading",
             "pkgutil", "difflib", "subprocess", "tomllib", "tempfile", "pickle")
    files = [os.path.join(EXAMPLES, "forecaster.yaml"), os.path.join(EXAMPLES, "shared_he_normal.yaml"),
             os.path.join(POLICIES, "strict.yaml")]
    code = ("import sys\nfrom policyfactory.cli import main\n"
            f"code = main(['validate', '--exit-zero', *{files!r}])\n"
            f"print('CODE', code, 'LOADED', sorted(m for m in {heavy!r} if m in sys.modules))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "CODE 0 LOADED []" in r.stdout, r.stdout + r.stderr
