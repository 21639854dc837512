"""Seeds as Keras draws with them: one stream whatever the classes, seeds compared after Keras's cast,
derived seeds that avoid every explicit seed, and attention projection seeds in the one plan."""

import json

import keras
import numpy as np
import pytest
from conftest import run_cli

import policyfactory as pf

HEAD = "kind: model\nversion: 1\ninput: {shape: [16]}\n"


def kernels(path):
    model = pf.build_model(path)
    return [keras.ops.convert_to_numpy(layer.kernel) for layer in model.layers if hasattr(layer, "kernel")]


BACKEND = keras.backend.backend()
# two seeds a file may write (0 to 2**31 - 1) that Keras draws alike: only TensorFlow's cast modulo 2**31 - 2 has them
ALIKE = {"tensorflow": 2147483647}


@pytest.mark.parametrize(("a", "b"), [  # two classes, one seed; one class, two seeds Keras draws alike
    ({"class_name": "GlorotUniform", "config": {"seed": 1}}, {"class_name": "HeUniform", "config": {"seed": 1}}),
    pytest.param({"class_name": "GlorotUniform", "config": {"seed": 1}},
                 {"class_name": "GlorotUniform", "config": {"seed": ALIKE.get(BACKEND, 0)}},
                 marks=pytest.mark.skipif(BACKEND not in ALIKE, reason="JAX and PyTorch draw every seed below 2**31 apart")),
])
def test_one_stream_is_one_sharing_group_in_validate_as_the_audit_finds_it(write, a, b):
    path = write("m.yaml", HEAD + "layers:\n"
                 f"  - {{type: Dense, name: a, units: 16, kernel_initializer: {json.dumps(a)}}}\n"
                 f"  - {{type: Dense, name: b, units: 16, kernel_initializer: {json.dumps(b)}}}\n")
    r = run_cli("validate", "--format", "json", path)
    assert r.returncode == 1, r.stdout
    (f,) = json.loads(r.stdout)["findings"]
    assert f["rule"] == "sharing-violation" and f["slots"] == ["a.kernel_initializer", "b.kernel_initializer"]
    for spec in (a, b):  # the message names the stream both ways it is written
        assert f"{spec['class_name']}(seed={spec['config']['seed']})" in f["message"], f["message"]
    # what validate predicts is what Keras draws: the two kernels are one stream, scaled
    ka, kb = (k.ravel() for k in kernels_unchecked(path))
    assert abs(np.corrcoef(ka, kb)[0, 1]) > 0.999


def kernels_unchecked(path):
    """Build the file's layers with plain Keras (the file is refused by its policy, so not through build_model)."""
    import yaml

    doc = yaml.safe_load(open(path))
    out = []
    for spec in doc["layers"]:
        init = keras.initializers.get(spec["kernel_initializer"])
        layer = keras.layers.Dense(spec["units"], kernel_initializer=init)
        layer.build((None, 16))
        out.append(keras.ops.convert_to_numpy(layer.kernel))
    return out


def test_a_derived_seed_never_equals_an_explicit_seed_written_further_down(write):
    first = write("one.yaml", HEAD + "seed: 3\nlayers:\n  - {type: Dense, name: a, units: 16}\n")
    rows = json.loads(run_cli("explain", "--format", "json", first).stdout)["slots"]
    derived = next(r["seed"] for r in rows if r["layer"] == "a" and r["arg"] == "kernel_initializer")
    both = write("two.yaml", HEAD + "seed: 3\nlayers:\n  - {type: Dense, name: a, units: 16}\n"
                 f"  - {{type: Dense, name: b, units: 16, kernel_initializer: "
                 f"{{class_name: GlorotUniform, config: {{seed: {derived}}}}}}}\n")
    r = run_cli("explain", "--format", "json", both)
    rows = json.loads(r.stdout)["slots"]
    seeds = {r["layer"]: r["seed"] for r in rows if r["arg"] == "kernel_initializer"}
    assert seeds["b"] == derived and seeds["a"] != derived  # a's derived seed moved out of the way
    ka, kb = kernels(both)
    assert abs(np.corrcoef(ka.ravel(), kb.ravel())[0, 1]) < 0.2
    assert run_cli("audit", both).returncode == 0


def test_explain_shows_the_projection_seeds_build_gives_every_attention_projection(write):
    path = write("mha.yaml", "kind: model\nversion: 1\nseed: 5\ninputs: {x: {shape: [4, 16]}}\nlayers:\n"
                             "  - {type: MultiHeadAttention, name: mha, num_heads: 2, key_dim: 8, inputs: [x, x]}\n"
                             "outputs: [mha]\n")
    rows = json.loads(run_cli("explain", "--format", "json", path).stdout)["slots"]
    (row,) = [r for r in rows if r["layer"] == "mha" and r["arg"] == "kernel_initializer"]
    assert len(row["projection_seeds"]) == 4 and len(set(row["projection_seeds"])) == 4
    layer = pf.build_model(path).get_layer("mha")
    built = [d.kernel_initializer.seed for d in (layer._query_dense, layer._key_dense, layer._value_dense,
                                                 layer._output_dense)]
    assert built == row["projection_seeds"]
    q, k = (keras.ops.convert_to_numpy(d.kernel).ravel() for d in (layer._query_dense, layer._key_dense))
    assert abs(np.corrcoef(q, k)[0, 1]) < 0.2


def test_seeds_tensorflow_casts_alike_are_two_streams_on_the_other_backends(write):
    """1 and 2**31 - 1 are one stream on TensorFlow only: validate follows the backend it checks for."""
    if BACKEND == "tensorflow":
        pytest.skip("on TensorFlow they are one stream (the test above)")
    path = write("m.yaml", HEAD + "layers:\n"
                 "  - {type: Dense, name: a, units: 16, kernel_initializer: {class_name: GlorotUniform, config: {seed: 1}}}\n"
                 "  - {type: Dense, name: b, units: 16, kernel_initializer: "
                 "{class_name: GlorotUniform, config: {seed: 2147483647}}}\n")
    r = run_cli("validate", path)
    assert r.returncode == 0 and "0 sharing groups" in r.stdout, r.stdout
    ka, kb = (k.ravel() for k in kernels(path))
    assert abs(np.corrcoef(ka, kb)[0, 1]) < 0.2


def test_one_seed_in_two_distributions_is_two_streams_except_on_jax(write):
    """GlorotUniform(seed=1) and HeNormal(seed=1) draw different values on TensorFlow and PyTorch: no sharing group,
    and Keras agrees. On JAX both transform one draw of random bits (|r| > 0.99): one sharing group."""
    a = {"class_name": "GlorotUniform", "config": {"seed": 1}}
    b = {"class_name": "HeNormal", "config": {"seed": 1}}
    path = write("m.yaml", HEAD + "layers:\n"
                 f"  - {{type: Dense, name: a, units: 16, kernel_initializer: {json.dumps(a)}}}\n"
                 f"  - {{type: Dense, name: b, units: 16, kernel_initializer: {json.dumps(b)}}}\n")
    r = run_cli("validate", "--format", "json", path)
    if BACKEND == "jax":
        assert r.returncode == 1 and json.loads(r.stdout)["findings"][0]["rule"] == "sharing-violation", r.stdout
        ka, kb = (k.ravel() for k in kernels_unchecked(path))
        assert abs(np.corrcoef(ka, kb)[0, 1]) > 0.98
        return
    assert r.returncode == 0 and not json.loads(r.stdout)["findings"], r.stdout
    ka, kb = (k.ravel() for k in kernels(path))
    assert abs(np.corrcoef(ka, kb)[0, 1]) < 0.2


def test_a_derived_seed_is_the_sha256_of_its_names_whatever_module_computes_it():
    """naming.py takes SHA-256 from the interpreter's own module to skip loading OpenSSL; the seeds a project has
    written down must stay the ones hashlib gives."""
    import hashlib

    from policyfactory.core.naming import derive_seed

    for base, parts in [(1, ("dense", "kernel")), (2**31 - 1, ("encoder/query", "kernel", 3)), (0, ("\u00e9",))]:
        text = "\x1f".join([str(base)] + [str(p) for p in parts])
        expected = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % (1 << 31)
        assert derive_seed(base, *parts) == expected
