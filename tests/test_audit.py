"""Audit real Keras models: live sharing, saved-file correlation, and clean factory builds."""

import glob
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import EXAMPLES, run_cli

import policyfactory as pf


def two_dense(init_a, init_b):
    inp = keras.Input((64,))
    x = keras.layers.Dense(64, name="d1", kernel_initializer=init_a)(inp)
    out = keras.layers.Dense(64, name="d2", kernel_initializer=init_b)(x)
    return keras.Model(inp, out)


def test_shared_he_normal_found_in_live_model_and_saved_file(tmp_path):
    init = keras.initializers.HeNormal()
    model = two_dense(init, init)
    live = pf.audit(model)
    # one cause, one finding: the denied group, confirmed by its weights
    assert [f.rule for f in live] == ["sharing-violation"]
    assert live[0].data["slots"] == ["d1.kernel_initializer", "d2.kernel_initializer"]
    assert live[0].data["weights"] == ["d1/kernel", "d2/kernel"] and live[0].data["evidence"]["identical"]
    assert "its weights d1/kernel and d2/kernel are identical" in live[0].message

    path = str(tmp_path / "m.keras")
    model.save(path)
    r = run_cli("audit", path)
    assert r.returncode == 1
    assert "correlated-weights" in r.stdout and "d1/kernel" in r.stdout and "d2/kernel" in r.stdout
    assert "sharing-violation" not in r.stdout  # identity sharing does not survive save and load


def test_string_initializers_give_no_finding(tmp_path):
    model = two_dense("he_normal", "he_normal")
    assert pf.audit(model) == []
    path = str(tmp_path / "m.keras")
    model.save(path)
    assert run_cli("audit", path).returncode == 0


def test_different_shapes_from_one_stream_are_found():
    init = keras.initializers.HeNormal()
    inp = keras.Input((32,))
    x = keras.layers.Dense(64, name="small", kernel_initializer=init)(inp)
    out = keras.layers.Dense(128, name="big", kernel_initializer=init)(x)
    fs = pf.audit(keras.Model(inp, out))
    assert len(fs) == 1 and fs[0].data["weights"] == ["small/kernel", "big/kernel"]
    # different shapes: the same stream, scaled -- correlated, not identical
    assert "are correlated (r = " in fs[0].message and not fs[0].data["evidence"]["identical"]


def test_lstm_sharing_one_instance_for_kernel_and_recurrent_is_found():
    init = keras.initializers.HeNormal()
    inp = keras.Input((5, 16))
    out = keras.layers.LSTM(16, name="lstm", kernel_initializer=init, recurrent_initializer=init)(inp)
    fs = pf.audit(keras.Model(inp, out))
    share = [f for f in fs if f.rule == "sharing-violation"]
    assert share and share[0].data["slots"] == ["lstm.kernel_initializer", "lstm.recurrent_initializer"]


def test_keras_multi_head_attention_with_explicit_seed_is_found():
    inp = keras.Input((4, 16))
    out = keras.layers.MultiHeadAttention(2, 8, kernel_initializer=keras.initializers.GlorotUniform(seed=1))(inp, inp)
    fs = pf.audit(keras.Model(inp, out))
    assert [f.rule for f in fs] == ["sharing-violation"]
    assert {w.split("/")[-2] for w in fs[0].data["weights"]} >= {"query", "key", "value"}


def test_deterministic_initializers_are_not_findings():
    inp = keras.Input((5, 16))
    x = keras.layers.LSTM(16, unit_forget_bias=True, return_sequences=True)(inp)
    x = keras.layers.LSTM(16, unit_forget_bias=True)(x)
    x = keras.layers.Dense(16, kernel_initializer="zeros")(x)
    x = keras.layers.Dense(16, kernel_initializer=keras.initializers.Constant(0.5))(x)
    out = keras.layers.Dense(16, kernel_initializer="identity")(x)
    assert pf.audit(keras.Model(inp, out)) == []


@pytest.mark.parametrize("path", [p for p in sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml")))
                                  if "shared_he_normal.yaml" not in p])
def test_factory_builds_of_every_example_audit_clean_under_their_own_policy(path):
    r = run_cli("audit", path)
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_lambda_file_is_audited_as_data_and_its_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    inp = keras.Input((4,))
    out = keras.layers.Lambda(lambda x: x * 2)(inp)
    path = str(tmp_path / "lambda.keras")
    keras.Model(inp, out).save(path)
    r = run_cli("audit", path)
    assert r.returncode == 0 and "ok" in r.stdout and "Traceback" not in r.stderr, r.stdout + r.stderr
    assert not marker.exists()


def test_audit_of_a_missing_or_non_model_file_exits_2(tmp_path):
    assert run_cli("audit", str(tmp_path / "nope.keras")).returncode == 2
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    r = run_cli("audit", str(junk))
    assert r.returncode == 2 and "audit-input" in r.stdout and "Traceback" not in r.stderr


def dense_stack(inits, units=32, names=None):
    inp = keras.Input((units,))
    x = inp
    for i, init in enumerate(inits):
        x = keras.layers.Dense(units, name=(names or [f"dense_{k}" for k in range(len(inits))])[i],
                               kernel_initializer=init)(x)
    return keras.Model(inp, x)


def test_one_shared_he_normal_on_three_dense_layers_is_one_finding_naming_all_three(tmp_path):
    init = keras.initializers.HeNormal()
    model = dense_stack([init, init, init], names=["a", "b", "c"])
    live = pf.audit(model)
    assert len(live) == 1 and live[0].data["weights"] == ["a/kernel", "b/kernel", "c/kernel"]
    assert live[0].rule == "sharing-violation" and "identical" in live[0].message
    path = str(tmp_path / "m.keras")
    model.save(path)
    r = run_cli("audit", "--format", "json", path)
    corr = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "correlated-weights"]
    assert r.returncode == 1 and len(corr) == 1 and corr[0]["weights"] == ["a/kernel", "b/kernel", "c/kernel"]


@pytest.mark.parametrize("which", ["smallest", "largest"])
def test_a_pair_differing_in_one_sign_is_found_live_and_in_the_file(tmp_path, which):
    # Flipping the largest value lowers r to about 0.99 (below the 0.999 threshold); the
    # magnitudes stay identical, and the finding says how many signs differ.
    model = dense_stack(["he_normal", "he_normal", "he_normal"], units=64, names=["a", "b", "c"])
    kernel = model.get_layer("a").kernel.numpy()
    flipped = kernel.copy()
    pick = np.argmin if which == "smallest" else np.argmax
    at = int(pick(np.abs(flipped.flat[:4096])))
    flipped.flat[at] = -flipped.flat[at]
    model.get_layer("b").kernel.assign(flipped)
    (f,) = pf.audit(model)
    assert f.rule == "correlated-weights" and f.data["weights"] == ["a/kernel", "b/kernel"]
    assert "identical in magnitude (1 sign differs)" in f.message
    assert f.data["evidence"]["identical"] is False and f.data["evidence"]["sign_differences"] == 1
    path = str(tmp_path / "m.keras")
    model.save(path)
    for saved in (path, str(tmp_path / "m.h5")):
        if saved.endswith(".h5"):
            model.save(saved)
        r = run_cli("audit", saved)
        assert r.returncode == 1 and "a/kernel and b/kernel are identical in magnitude (1 sign differs)" in r.stdout
        assert "Traceback" not in r.stderr


def test_shared_zeros_is_allowed_under_stateless_and_denied_under_strict():
    zeros = keras.initializers.Zeros()
    inp = keras.Input((8,))
    x = keras.layers.Dense(8, name="a", bias_initializer=zeros)(inp)
    model = keras.Model(inp, keras.layers.Dense(8, name="b", bias_initializer=zeros)(x))
    assert pf.audit(model, policy="stateless") == []
    (f,) = pf.audit(model, policy="strict")
    assert f.rule == "sharing-violation" and f.data["slots"] == ["a.bias_initializer", "b.bias_initializer"]


class MyDense(keras.layers.Dense):
    """A subclass of a catalog layer: audited as a Dense."""


class Twin(keras.layers.Layer):
    """A custom layer no catalog knows, whose two weights come from one initializer object."""

    def build(self, input_shape):
        init = keras.initializers.GlorotUniform()
        self.left = self.add_weight(shape=(input_shape[-1], 16), initializer=init, name="left")
        self.right = self.add_weight(shape=(input_shape[-1], 16), initializer=init, name="right")

    def call(self, x):
        return x @ self.left + x @ self.right


def test_subclasses_are_matched_by_their_catalog_ancestor_and_custom_layers_by_their_weights():
    init = keras.initializers.HeNormal()
    inp = keras.Input((16,))
    x = MyDense(16, name="mine", kernel_initializer=init)(inp)
    x = keras.layers.Dense(16, name="plain", kernel_initializer=init)(x)
    out = Twin(name="twin")(x)
    fs = pf.audit(keras.Model(inp, out))
    share = [f for f in fs if f.rule == "sharing-violation"]
    assert len(share) == 1 and share[0].data["slots"] == ["mine.kernel_initializer", "plain.kernel_initializer"]
    assert share[0].data["weights"] == ["mine/kernel", "plain/kernel"]  # confirmed by the weights: one finding
    streams = [f.data["weights"] for f in fs if f.rule == "correlated-weights"]
    assert streams == [["twin/left", "twin/right"]]  # a custom layer: seen by its weights alone


def test_two_sub_models_with_the_same_layer_names_get_distinct_paths_live_and_in_the_file(tmp_path):
    init = keras.initializers.HeNormal()

    def encoder(name):
        i = keras.Input((16,))
        return keras.Model(i, keras.layers.Dense(16, name="proj", kernel_initializer=init)(i), name=name)

    inp = keras.Input((16,))
    model = keras.Model(inp, encoder("enc_b")(encoder("enc_a")(inp)))
    (live,) = pf.audit(model)
    assert live.data["slots"] == ["enc_a/proj.kernel_initializer", "enc_b/proj.kernel_initializer"]
    assert live.data["weights"] == ["enc_a/proj/kernel", "enc_b/proj/kernel"]
    path = str(tmp_path / "m.keras")
    model.save(path)
    r = run_cli("audit", "--format", "json", path)
    (saved,) = json.loads(r.stdout)["findings"]  # identity sharing does not survive saving; the stream does
    assert saved["rule"] == "correlated-weights" and saved["weights"] == ["enc_a/proj/kernel", "enc_b/proj/kernel"]


def test_a_live_audit_reads_leading_slices_not_whole_variables(tmp_path):
    """Peak memory while auditing a 256 MB model grows by far less than one copy of its weights."""
    probe = """
import os, resource
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import keras, policyfactory as pf
inp = keras.Input((4096,))
x = inp
for _ in range(4):
    x = keras.layers.Dense(4096)(x)
model = keras.Model(inp, x)
pf.audit(model)  # warm up: imports, first slices

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) // 1024

with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset the peak to the current resident size
before = rss("VmRSS")
assert pf.audit(model) == []
print("GROWTH", rss("VmHWM") - before)
"""
    if not os.access("/proc/self/clear_refs", os.W_OK):
        pytest.skip("needs Linux's /proc/self/clear_refs to reset the peak resident size")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=600)
    growth = int(r.stdout.split("GROWTH")[1])
    assert growth < 50, r.stdout + r.stderr  # the weights are 256 MB; one full copy would show


def test_tf_keras_models_are_scanned_too():
    tf_keras = pytest.importorskip("tf_keras")
    init = tf_keras.initializers.HeNormal(seed=3)
    inp = tf_keras.Input((16,))
    x = tf_keras.layers.Dense(16, name="a", kernel_initializer=init)(inp)
    x = tf_keras.layers.BatchNormalization(name="bn")(x)
    out = tf_keras.layers.Dense(16, name="b", kernel_initializer=init)(x)
    fs = pf.audit(tf_keras.Model(inp, out))
    assert [f.rule for f in fs] == ["sharing-violation"]
    assert fs[0].data["weights"] == ["a/kernel", "b/kernel"]


def test_audit_of_a_model_file_links_attention_projections_to_the_allowed_group(tmp_path):
    """Two attention layers with one explicit seed, allowed: their projections really are tied (same
    derived seeds), and the audit of the file says the group is allowed instead of reporting them."""
    path = tmp_path / "tied.yaml"
    path.write_text(
        "kind: model\nversion: 1\nname: tied\nseed: 7\ninputs:\n  x: {shape: [4, 8]}\nlayers:\n"
        "  - {name: att1, type: MultiHeadAttention, num_heads: 2, key_dim: 4, inputs: [x, x],\n"
        "     kernel_initializer: {class_name: GlorotUniform, config: {seed: 3}}}\n"
        "  - {name: att2, type: MultiHeadAttention, num_heads: 2, key_dim: 4, inputs: [att1, att1],\n"
        "     kernel_initializer: {class_name: GlorotUniform, config: {seed: 3}}}\n"
        "outputs: [att2]\n"
        "allow:\n  - {rule: sharing-violation, reason: tied on purpose}\n")
    model = pf.build_model(str(path))
    weights = {w.path: np.asarray(w) for w in model.weights}
    assert np.array_equal(weights["att1/query/kernel"], weights["att2/query/kernel"])  # the group is real
    assert not np.array_equal(weights["att1/query/kernel"], weights["att1/key/kernel"])  # projections differ
    r = run_cli("audit", str(path))
    assert r.returncode == 0, r.stdout
    assert "correlated-weights" not in r.stdout and "1 allowed sharing group" in r.stdout
    path.write_text(path.read_text().replace("seed: 3}}}\n  - {name: att2", "seed: 4}}}\n  - {name: att2")
                    .replace("allow:\n  - {rule: sharing-violation, reason: tied on purpose}\n", ""))
    assert run_cli("audit", str(path)).returncode == 0  # untied: nothing to allow, nothing found
