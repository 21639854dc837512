"""Every Keras backend: the backend validate checks for (found as Keras finds it, without Keras), what a backend
does not build (`backend-layer`, from facts the catalog measured and this file re-measures), and the Keras side
on the backend this process runs (`make test-backends` runs this file with KERAS_BACKEND=jax and =torch in venvs
without TensorFlow; `make test` runs it on TensorFlow)."""

import importlib.util
import json
import os
import sys

import pytest
from conftest import EXAMPLES, ROOT, run_cli

from policyfactory.core.backend import Backend, keras_json_path, resolve_backend
from policyfactory.core.catalog import shipped_catalog

LOOKUP = ("kind: model\nversion: 1\ninputs:\n  words: {shape: [3], dtype: string}\nlayers:\n"
          "  - {type: StringLookup, name: ids, inputs: [words], vocabulary: [a, b, c]}\n"
          "  - {type: Embedding, inputs: [ids], input_dim: 5, output_dim: 4}\noutputs: [embedding]\n")
SYNCED = ("kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n"
          "  - {type: BatchNormalization, name: bn, synchronized: %s}\n  - {type: Dense, units: 2}\n")
HE_TWICE = ("kind: model\nversion: 1\nseed: 11\ninput: {shape: [8]}\nlayers:\n"
            "  - {type: Dense, name: a, units: 16}\n  - {type: Dense, name: b, units: 16}\n")
TENSORFLOW_INSTALLED = importlib.util.find_spec("tensorflow") is not None


# -- the backend checked for: --backend, KERAS_BACKEND, the backend setting, keras.json, tensorflow -------------


def test_the_backend_is_found_in_keras_order_with_the_project_setting_before_keras_json(tmp_path):
    home = {"KERAS_HOME": str(tmp_path)}
    assert resolve_backend(environ=home) == Backend("tensorflow", "Keras's default")
    (tmp_path / "keras.json").write_text(json.dumps({"backend": "torch", "floatx": "float32"}))
    assert keras_json_path(home) == str(tmp_path / "keras.json")
    assert resolve_backend(environ=home) == Backend("torch", str(tmp_path / "keras.json"))
    assert resolve_backend("jax", "policyfactory.toml", environ=home) == Backend("jax", "policyfactory.toml")
    assert resolve_backend("jax", "policyfactory.toml", environ={**home, "KERAS_BACKEND": "numpy"}).name == "numpy"
    assert resolve_backend("jax", "policyfactory.toml", environ={**home, "KERAS_BACKEND": ""}).name == "jax"  # as Keras
    assert resolve_backend("tensorflow", "command line", environ={**home, "KERAS_BACKEND": "jax"}).origin == "--backend"
    (tmp_path / "keras.json").write_text("{not json")  # Keras reads an unreadable file as {}
    assert resolve_backend(environ=home).name == "tensorflow"


def test_validate_refuses_a_tensorflow_only_layer_on_jax_and_torch_and_the_project_chooses_its_severity(tmp_path):
    model = tmp_path / "lookup.yaml"
    model.write_text(LOOKUP)
    home = {"KERAS_HOME": str(tmp_path)}  # no keras.json there
    assert run_cli("validate", str(model), env={**home, "KERAS_BACKEND": "tensorflow"}).returncode == 0
    for backend in ("jax", "torch"):
        r = run_cli("validate", "--format", "json", str(model), env={**home, "KERAS_BACKEND": backend})
        assert r.returncode == 1, r.stdout + r.stderr
        (f,) = json.loads(r.stdout)["findings"]
        assert f["rule"] == "backend-layer" and f["line"] == 6 and "StringLookup needs TensorFlow" in f["message"]
        assert f"the backend is {backend} (from KERAS_BACKEND)" in f["message"]
    # the project's setting, when KERAS_BACKEND is not set; --backend wins over KERAS_BACKEND
    (tmp_path / "policyfactory.toml").write_text('backend = "torch"\n')
    r = run_cli("validate", str(model), cwd=str(tmp_path), env={**home, "KERAS_BACKEND": ""})
    assert r.returncode == 1 and "the backend is torch (from policyfactory.toml)" in r.stdout, r.stdout
    assert run_cli("validate", "--backend", "tensorflow", str(model), cwd=str(tmp_path),
                   env={**home, "KERAS_BACKEND": "jax"}).returncode == 0
    # its severity is the project's choice: a warning does not fail
    (tmp_path / "policyfactory.toml").write_text('backend = "jax"\n[severity]\nbackend-layer = "warning"\n')
    r = run_cli("validate", str(model), cwd=str(tmp_path), env={**home, "KERAS_BACKEND": ""})
    assert r.returncode == 0 and "warning backend-layer" in r.stdout, r.stdout
    config = run_cli("config", "--format", "json", cwd=str(tmp_path), env={**home, "KERAS_BACKEND": ""})
    assert json.loads(config.stdout)["backend"] == {"name": "jax", "origin": "policyfactory.toml"}
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')  # keras.json, when nothing else says
    (tmp_path / "policyfactory.toml").unlink()
    r = run_cli("validate", str(model), cwd=str(tmp_path), env={**home, "KERAS_BACKEND": ""})
    assert r.returncode == 1 and f"(from {tmp_path / 'keras.json'})" in r.stdout, r.stdout


def test_an_argument_value_a_backend_refuses(tmp_path):
    on, off = tmp_path / "on.yaml", tmp_path / "off.yaml"
    on.write_text(SYNCED % "true")
    off.write_text(SYNCED % "false")
    assert run_cli("validate", str(on), str(off), env={"KERAS_BACKEND": "tensorflow"}).returncode == 0
    r = run_cli("validate", "--format", "json", str(on), str(off), env={"KERAS_BACKEND": "torch"})
    (f,) = json.loads(r.stdout)["findings"]
    assert f["file"] == str(on) and f["rule"] == "backend-layer" and "synchronized: true is refused on the torch" \
        in f["message"], f


def test_the_plans_integer_seeds_are_the_same_whatever_the_backend(tmp_path):
    """Seeds are derived from names and the file's seed, never from a backend: explain prints the same numbers."""
    seeds = {}
    for backend in ("tensorflow", "jax", "torch"):
        r = run_cli("explain", "--format", "json", os.path.join(EXAMPLES, "forecaster.yaml"),
                    env={"KERAS_BACKEND": backend})
        assert r.returncode == 0, r.stderr
        seeds[backend] = [(s["layer"], s["arg"], s["seed"]) for s in json.loads(r.stdout)["slots"]]
    assert seeds["tensorflow"] == seeds["jax"] == seeds["torch"]
    assert sum(isinstance(s, int) for _, _, s in seeds["jax"]) >= 4


# -- the Keras side, on the backend this process runs ------------------------------------------------------


def _keras():
    return pytest.importorskip("keras")


def test_keras_runs_on_the_backend_ci_asked_for():
    keras = _keras()
    wanted = os.environ.get("KERAS_BACKEND")
    if wanted:
        assert keras.backend.backend() == wanted


def _measured_here(monkeypatch, on_tensorflow: str) -> tuple[str, dict]:
    """The backend this process runs and the shipped catalog as data, with scripts/ importable for the test (the
    probes); on TensorFlow the test is skipped, saying where that backend's facts are checked."""
    backend = _keras().backend.backend()
    if backend == "tensorflow":
        pytest.skip(on_tensorflow)
    monkeypatch.syspath_prepend(os.path.join(ROOT, "scripts"))
    with open(os.path.join(ROOT, "policyfactory", "core", "catalog.json"), encoding="utf-8") as fh:
        return backend, json.load(fh)


def test_the_catalogs_backend_facts_hold_on_this_backend(monkeypatch):
    """What gen_catalog measured under TensorFlow (with TensorFlow hidden, with Keras's backend name set) is what
    this backend does: the same layer types refuse to be made without TensorFlow, the same arguments are refused."""
    backend, cat = _measured_here(monkeypatch, "measured by gen_catalog on TensorFlow itself (tests/test_catalog_drift.py)")
    from probe_keras import Prober

    prober = Prober(cat["layers"], [])
    refused, arguments = set(), set()
    for name, entry in cat["layers"].items():
        try:
            prober.make(name)
        except ImportError as exc:
            assert f"Layer {name} requires TensorFlow" in str(exc)
            refused.add(name)
            continue
        for arg, info in entry["params"].items():
            if isinstance(info.get("default"), bool):
                try:
                    prober.make(name, {arg: not info["default"]})
                except Exception as exc:
                    if "backend" in str(exc):  # refused for the backend's sake (not for the base arguments)
                        arguments.add((name, arg, not info["default"]))
    facts = cat["backends"]
    if not TENSORFLOW_INSTALLED:
        assert refused == set(facts["needs_tensorflow"])
    assert arguments == {(n, r["argument"], r["value"]) for n, rs in facts["refused_arguments"].get(backend, {}).items()
                         for r in rs}


def test_the_factory_gives_fresh_kernels_for_one_raw_initializer_object():
    keras = _keras()
    import numpy as np

    import policyfactory as pf

    init = keras.initializers.HeNormal()
    f = pf.LayerFactory()
    a, b = f.Dense(64, kernel_initializer=init), f.Dense(64, kernel_initializer=init)
    for layer in (a, b):
        layer.build((None, 64))
    ka, kb = (keras.ops.convert_to_numpy(x.kernel).ravel() for x in (a, b))
    assert a.kernel_initializer is not b.kernel_initializer
    assert abs(np.corrcoef(ka, kb)[0, 1]) < 0.2
    # the problem it solves, on this backend too: plain Keras gives the one object's values twice
    c, d = keras.layers.Dense(64, kernel_initializer=init), keras.layers.Dense(64, kernel_initializer=init)
    for layer in (c, d):
        layer.build((None, 64))
    assert np.array_equal(keras.ops.convert_to_numpy(c.kernel), keras.ops.convert_to_numpy(d.kernel))


def test_build_model_builds_with_the_plans_seeds():
    keras = _keras()
    import policyfactory as pf

    path = os.path.join(EXAMPLES, "forecaster.yaml")
    model = pf.build_model(path)
    assert isinstance(model, keras.Model) and model.count_params() > 0
    rows = json.loads(run_cli("explain", "--format", "json", path).stdout)["slots"]
    planned = {(r["layer"], r["arg"]): r["seed"] for r in rows if r["kind"] == "initializer" and r["random"]}
    built = {}
    for layer in model.layers:
        cell = getattr(layer, "cell", layer)
        for arg in ("kernel_initializer", "recurrent_initializer"):
            init = getattr(cell, arg, None)
            if init is not None and hasattr(init, "seed"):
                built[layer.name, arg] = init.seed
    assert built == planned


def test_the_live_audit_finds_one_object_on_two_layers_and_passes_a_clean_model():
    keras = _keras()
    import policyfactory as pf

    init = keras.initializers.HeNormal()
    shared = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, kernel_initializer=init),
                               keras.layers.Dense(16, kernel_initializer=init)])
    findings = pf.audit(shared)
    assert {f.rule for f in findings} >= {"sharing-violation"}
    clean = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, kernel_initializer=keras.initializers.HeNormal()),
                              keras.layers.Dense(16, kernel_initializer=keras.initializers.HeNormal(seed=3))])
    assert [f for f in pf.audit(clean) if f.severity == "error"] == []
    assert pf.audit(pf.build_model(os.path.join(EXAMPLES, "forecaster.yaml")), policy="recurrent") == []


def test_the_build_command_writes_a_keras_file_and_refuses_what_the_backend_cannot_build(tmp_path):
    keras = _keras()
    model = tmp_path / "m.yaml"
    model.write_text(HE_TWICE)
    out = tmp_path / "m.keras"
    r = run_cli("build", str(model), "-o", str(out))
    assert r.returncode == 0 and out.is_file(), r.stdout + r.stderr
    assert f"parameters, {keras.backend.backend()} backend) -> {out}" in r.stdout  # the ok line names the backend
    loaded = keras.saving.load_model(str(out))
    assert [w.shape for w in loaded.weights] == [(8, 16), (16,), (16, 16), (16,)]
    assert run_cli("audit", str(out)).returncode == 0  # the saved file, read as data
    lookup = tmp_path / "lookup.yaml"
    lookup.write_text(LOOKUP)
    r = run_cli("build", str(lookup), "-o", str(tmp_path / "lookup.keras"))
    if keras.backend.backend() == "tensorflow":
        assert r.returncode == 0, r.stdout + r.stderr
    else:  # validate predicts build: refused before Keras is asked, nothing written
        assert r.returncode == 1 and "backend-layer" in r.stdout and "needs TensorFlow" in r.stdout, r.stdout
        assert not (tmp_path / "lookup.keras").exists()


def test_build_model_refuses_a_tensorflow_only_layer_off_tensorflow():
    keras = _keras()
    import policyfactory as pf

    if keras.backend.backend() == "tensorflow":
        assert pf.build_model(__import__("yaml").safe_load(LOOKUP)) is not None
        return
    with pytest.raises(pf.PolicyViolation) as ei:
        pf.build_model(__import__("yaml").safe_load(LOOKUP))
    assert ei.value.findings[0].rule == "backend-layer"
    assert shipped_catalog().needs_tensorflow["StringLookup"] in ei.value.findings[0].message


def test_strategy_takes_a_tf_distribute_strategy_or_a_keras_distribution():
    _keras()
    import policyfactory as pf

    with pytest.raises(TypeError, match=r"tf\.distribute strategy or a keras\.distribution distribution"):
        pf.build_model(os.path.join(EXAMPLES, "forecaster.yaml"), strategy=object())


def test_a_backend_that_is_not_installed_is_named_with_where_it_was_chosen(tmp_path):
    """In the JAX or PyTorch venv (no TensorFlow), Keras set to tensorflow: the finding names the backend, not Keras."""
    if TENSORFLOW_INSTALLED:
        pytest.skip("TensorFlow is installed here")
    r = run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "m.keras"),
                env={"KERAS_BACKEND": "tensorflow"})
    assert r.returncode == 2 and "keras-error" in r.stdout, r.stdout + r.stderr
    assert "runs on the backend tensorflow (from KERAS_BACKEND), and tensorflow is not installed" in r.stdout
    assert not (tmp_path / "m.keras").exists()


def test_the_python_api_names_a_backend_that_is_not_installed():
    """The Python API says what the command line says: the backend Keras is set to, where it was chosen, and that
    it is not installed (not Keras's own ModuleNotFoundError from deep inside its import)."""
    import subprocess

    missing = next((m for m in ("tensorflow", "jax", "torch") if importlib.util.find_spec(m) is None), None)
    if missing is None:
        pytest.skip("every backend is installed here")
    code = ("import policyfactory as pf\n"
            "try:\n    pf.LayerFactory\nexcept ImportError as exc:\n    print('IMPORTERROR', exc)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600,
                       env={**os.environ, "KERAS_BACKEND": missing})
    assert (f"IMPORTERROR policyfactory.LayerFactory needs Keras, which runs on the backend {missing} "
            f"(from KERAS_BACKEND), and {missing} is not installed: pip install {missing}") in r.stdout, r.stdout + r.stderr


def test_the_catalogs_pipeline_ranks_hold_on_this_backend(monkeypatch):
    """What `gen_catalog.py --measure-backend` measured on this backend (scripts/measured/, into the catalog) is what
    it does: the ranks each layer type takes inside Keras's Pipeline, which traces its layers in training mode with
    the backend's own tensors (RandomCrop takes none there on JAX; AdaptiveAveragePooling2D only 3 axes on PyTorch)."""
    backend, cat = _measured_here(monkeypatch, "TensorFlow's are each layer's probe, re-probed by "
                                               "tests/test_catalog_drift.py (RNN, Equalization)")
    from probe_keras import pipeline_table

    measured = pipeline_table(cat["layers"], frozenset(cat["backends"]["needs_tensorflow"]))
    assert measured == cat["backends"]["in_pipeline"][backend], "run gen_catalog.py --measure-backend here, then make catalog"
