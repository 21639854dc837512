import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
POLICIES = os.path.join(ROOT, "policies")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["POLICYFACTORY_DEBUG"] = "1"  # a bug of ours shows its traceback in tests instead of the one-line internal error


def run_cli(*args, cwd=None, env=None):
    """Run `python -m policyfactory ...` as a real process."""
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "policyfactory", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e, timeout=600)


@pytest.fixture(autouse=True)
def _own_results_cache(tmp_path_factory, monkeypatch):
    """Each test its own results cache (core/resultcache.py): nothing written under ~/.cache, nothing shared
    between tests, and every test that runs validate twice also exercises the cache."""
    monkeypatch.setenv("POLICYFACTORY_CACHE_DIR", str(tmp_path_factory.mktemp("pfcache")))


@pytest.fixture
def write(tmp_path):
    """write(name, text) -> path of a real file in a temporary folder."""

    def _write(name, text):
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        return str(p)

    return _write


# A model whose two Dense kernels share one HeNormal: `policy` decides (strict denies it, TIED_POLICY allows it).
TIED_MODEL = """kind: model
version: 1
name: {name}
policy: {policy}
input: {{shape: [8]}}
shared:
  he:
    initializer: HeNormal
layers:
  - {{type: Dense, name: a, units: 4, kernel_initializer: {{shared: he}}}}
  - {{type: Dense, name: b, units: {units}, kernel_initializer: {{shared: he}}}}
"""


# A policy that allows tied Dense kernel initializers (several tests judge a deliberate tie with it).
TIED_POLICY = """kind: policy
version: 1
name: tied-dense
extends: strict
rules:
  - id: tied-dense-kernels
    component: initializer
    layers: [Dense]
    roles: [kernel]
    share: allow
    reason: A deliberate experiment with tied initial weights.
"""


def without_keras(folder, modules=("tensorflow", "keras")) -> dict:
    """Environment variables for a process in which importing `modules` fails (a core-only install)."""
    blocker = folder / "sitecustomize.py"
    blocker.write_text(
        "import sys\n"
        "class _Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {tuple(modules)!r}:\n"
        "            raise ImportError('blocked: ' + name, name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _Block())\n")
    return {"PYTHONPATH": str(folder) + os.pathsep + ROOT}


def needs_tensorflow_here(type_name: str) -> bool:
    """Whether validate refuses `type_name` here (`backend-layer`): a layer type the catalog says needs TensorFlow,
    checked for another backend (CI's JAX and PyTorch runs). Tests of other facts leave such layers out there."""
    import keras

    from policyfactory.core.catalog import shipped_catalog

    return keras.backend.backend() != "tensorflow" and type_name in shipped_catalog().needs_tensorflow


def keras_refuses_without_tensorflow(type_name: str) -> bool:
    """Whether Keras refuses to make `type_name` in this process: it needs TensorFlow and TensorFlow is absent."""
    import importlib.util

    from policyfactory.core.catalog import shipped_catalog

    return type_name in shipped_catalog().needs_tensorflow and importlib.util.find_spec("tensorflow") is None
