"""Audit real Keras models: live sharing, saved-file correlation, and clean factory builds."""

import glob
import os

import keras
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
    share = [f for f in live if f.rule == "sharing-violation"]
    assert len(share) == 1 and share[0].data["slots"] == ["d1.kernel_initializer", "d2.kernel_initializer"]
    corr = [f for f in live if f.rule == "correlated-weights"]
    assert len(corr) == 1 and "d1/kernel" in corr[0].message and "d2/kernel" in corr[0].message

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
    fs = [f for f in pf.audit(keras.Model(inp, out)) if f.rule == "correlated-weights"]
    assert len(fs) == 1 and fs[0].data["weights"] == ["small/kernel", "big/kernel"]
    # different shapes: the same stream, scaled -- correlated, not identical
    assert "are correlated (r = " in fs[0].message and "identical" not in fs[0].message.split(":")[0]


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
    rules = {f.rule for f in pf.audit(keras.Model(inp, out))}
    assert rules == {"sharing-violation", "correlated-weights"}


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


def test_unsafe_keras_file_is_refused_with_exit_2(tmp_path):
    inp = keras.Input((4,))
    out = keras.layers.Lambda(lambda x: x * 2)(inp)
    path = str(tmp_path / "lambda.keras")
    keras.Model(inp, out).save(path)
    r = run_cli("audit", path)
    assert r.returncode == 2 and "safe_mode" in r.stdout and "Traceback" not in r.stderr


def test_audit_of_a_missing_or_non_model_file_exits_2(tmp_path):
    assert run_cli("audit", str(tmp_path / "nope.keras")).returncode == 2
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"not a zip")
    r = run_cli("audit", str(junk))
    assert r.returncode == 2 and "cannot load" in r.stdout
