"""Model files: validate without Keras, build with it, and agree on every slot."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import EXAMPLES, ROOT, run_cli

import policyfactory as pf

EX = {n: os.path.join(EXAMPLES, n + ".yaml") for n in
      ("shared_he_normal", "shared_he_normal_fixed", "regularized", "forecaster", "functional", "bidirectional")}


def corr(a, b):
    a, b = np.ravel(a), np.ravel(b)
    n = min(a.size, b.size)
    return abs(float(np.corrcoef(a[:n], b[:n])[0, 1]))


@pytest.mark.parametrize("name,code", [
    ("shared_he_normal", 1), ("shared_he_normal_fixed", 0), ("regularized", 0), ("forecaster", 0),
    ("functional", 0), ("bidirectional", 0),
])
def test_each_example_verdict_and_exit_code(name, code):
    r = run_cli("validate", EX[name])
    assert r.returncode == code, r.stdout + r.stderr


def test_forecaster_is_refused_under_strict():
    r = run_cli("validate", "--policy", "strict", EX["forecaster"])
    assert r.returncode == 1 and "denied by default (constraint: deny)" in r.stdout


def test_violation_finding_points_at_the_shared_reference_that_joins_the_group():
    (f,) = pf.validate(EX["shared_he_normal"])
    lines = open(EX["shared_he_normal"]).read().splitlines()
    line = lines[f.line - 1]
    assert "dense_b" in line and line[f.column - 1:].startswith("{shared: he}")
    assert f.data["slots"] == ["dense_a.kernel_initializer", "dense_b.kernel_initializer", "dense_c.kernel_initializer"]
    assert f.data["decided_by"] == "default (initializer: deny)"


def test_copied_explicit_seed_forms_a_group_at_the_alias(write):
    path = write("m.yaml", """kind: model
version: 1
input: {shape: [4]}
layers:
  - {type: Dense, units: 4, kernel_initializer: &init {class_name: HeNormal, config: {seed: 3}}}
  - {type: Dense, units: 4, kernel_initializer: *init}
""")
    (f,) = pf.validate(path)
    assert f.rule == "sharing-violation" and f.line == 6 and "HeNormal(seed=3)" in f.message
    ok = write("n.yaml", open(path).read().replace("config: {seed: 3}", "config: {}"))
    assert pf.validate(ok) == []  # an alias without a seed is a fresh copy


def test_shared_reference_errors(write):
    path = write("m.yaml", """kind: model
version: 1
input: {shape: [4]}
shared:
  reg: {regularizer: l2}
layers:
  - {type: Dense, units: 4, kernel_initializer: {shared: reg}}
  - {type: Dense, units: 4, kernel_regularizer: {shared: rgg}}
""")
    fs = pf.validate(path)
    assert [(f.rule, f.line) for f in fs] == [("shared-wrong-kind", 7), ("shared-unknown", 8)]
    assert "did you mean 'reg'" in fs[1].message


def test_functional_form_builds_with_merge_and_two_outputs():
    model = pf.build_model(EX["functional"])
    assert len(model.inputs) == 2 and len(model.outputs) == 2
    names = {l.name for l in model.layers}
    assert {"encoder_a", "encoder_b", "merge", "head_a", "head_b"} <= names


def test_fixed_example_builds_with_uncorrelated_kernels():
    model = pf.build_model(EX["shared_he_normal_fixed"])
    b, c = model.get_layer("dense_b").kernel.numpy(), model.get_layer("dense_c").kernel.numpy()
    assert corr(b, c) < 0.2


def test_shared_example_build_raises_policy_violation():
    with pytest.raises(pf.PolicyViolation) as ei:
        pf.build_model(EX["shared_he_normal"])
    assert "dense_c.kernel_initializer" in str(ei.value)


def test_regularizer_values_are_the_ones_written():
    model = pf.build_model(EX["regularized"])
    d0, d1 = model.get_layer("dense"), model.get_layer("dense_1")
    assert d0.kernel_regularizer.get_config()["l2"] == pytest.approx(0.001)
    assert d1.kernel_regularizer.get_config()["l1"] == pytest.approx(0.0001)
    assert d1.bias_regularizer.get_config()["l2"] == pytest.approx(0.01)


def test_forecaster_shares_one_constraint_object_where_allowed():
    model = pf.build_model(EX["forecaster"])
    a, b = model.get_layer("lstm_a").cell, model.get_layer("lstm").cell
    assert a.kernel_constraint is a.recurrent_constraint is b.kernel_constraint is b.recurrent_constraint


def test_explain_seeds_are_the_seeds_the_build_uses():
    r = run_cli("explain", "--format", "json", EX["forecaster"])
    rows = {(s["layer"], s["arg"]): s for s in json.loads(r.stdout)["slots"]}
    model = pf.build_model(EX["forecaster"])
    cell = model.get_layer("lstm_a").cell
    assert rows[("lstm_a", "kernel_initializer")]["seed"] == cell.kernel_initializer.seed
    assert rows[("lstm_a", "recurrent_initializer")]["seed"] == cell.recurrent_initializer.seed
    assert rows[("lstm_a", "kernel_constraint")]["verdict"] == "allowed"


BUILD_SCRIPT = """
import json, sys, policyfactory as pf
m = pf.build_model(sys.argv[1])
print(json.dumps([w.tolist() for w in m.get_weights()]))
"""


def test_same_seed_gives_identical_weights_in_two_processes():
    outs = []
    for _ in range(2):
        r = subprocess.run([sys.executable, "-c", BUILD_SCRIPT, EX["regularized"]], capture_output=True, text=True,
                           cwd=ROOT, timeout=300)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout.strip().splitlines()[-1])
    assert outs[0] == outs[1]


def test_build_writes_a_keras_file_that_loads_and_predicts(tmp_path):
    import keras
    out = tmp_path / "m.keras"
    r = run_cli("build", EX["bidirectional"], "-o", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    model = keras.saving.load_model(str(out))
    y = model.predict(np.zeros((2, 5, 3), "float32"), verbose=0)
    assert y.shape == (2, 1)
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]  # no temporary file left behind


def test_refused_build_writes_nothing_and_leaves_an_existing_file_untouched(tmp_path):
    out = tmp_path / "out.keras"
    r = run_cli("build", EX["shared_he_normal"], "-o", str(out))
    assert r.returncode == 1 and not out.exists()
    out.write_bytes(b"precious bytes")
    r = run_cli("build", EX["shared_he_normal"], "-o", str(out))
    assert r.returncode == 1 and out.read_bytes() == b"precious bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.keras"]


def test_keras_refusing_a_value_is_a_finding_not_a_traceback(write, tmp_path):
    # a width validate does not follow: depth_multiplier was probed to change DepthwiseConv1D's width
    path = write("m.yaml", "kind: model\nversion: 1\ninput: {shape: [4, 2]}\nlayers:\n"
                           "  - {type: Dense, units: 4, activation: relu}\n"
                           "  - {type: DepthwiseConv1D, kernel_size: 1, depth_multiplier: 2}\n"
                           "  - {type: Reshape, target_shape: [3]}\n")
    out = tmp_path / "x.keras"
    r = run_cli("build", path, "-o", str(out))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{path}:7:5: error keras-error:" in r.stdout and not out.exists()


def test_every_layer_type_is_usable_from_yaml(write):
    """The many layers that take only activity_regularizer are usable, and unknown arguments are findings."""
    path = write("m.yaml", """kind: model
version: 1
input: {shape: [8, 8, 3]}
layers:
  - {type: Conv2D, filters: 4, kernel_size: 3, activity_regularizer: l2}
  - {type: MaxPooling2D, pool_size: 2}
  - {type: BatchNormalization, gamma_regularizer: l2, moving_variance_initializer: ones}
  - {type: Flatten, activity_regularizer: {class_name: L1, config: {l1: 0.01}}}
  - {type: Dropout, rate: 0.2}
  - {type: Reshape, target_shape: [9, 4]}
  - {type: Conv1D, filters: 2, kernel_size: 2, padding: same}
  - {type: GlobalAveragePooling1D}
  - {type: Dense, units: 2, activation: softmax}
""")
    assert pf.validate(path) == []
    model = pf.build_model(path)
    assert model.output_shape == (None, 2)


def test_unknown_arguments_and_types_get_findings_with_hints(write):
    path = write("m.yaml", """kind: model
version: 1
input: {shape: [4]}
layers:
  - {type: Dense, units: "64", activaton: relu}
  - {type: Dense, units: 4, activation: rleu}
  - {type: Lambda, function: x}
""")
    fs = pf.validate(path)
    got = {(f.rule, f.line) for f in fs}
    assert ("schema-type", 5) in got and ("unknown-argument", 5) in got
    assert ("unknown-activation", 6) in got and ("layer-not-allowed", 7) in got
    assert any("expected an integer, got string '64'" in f.message for f in fs)
    assert any("did you mean 'activation'" in f.message for f in fs)


def test_allow_suppresses_a_finding_with_a_reason_and_an_unused_allow_is_a_finding(write):
    src = open(EX["shared_he_normal"]).read()
    allowed = write("a.yaml", src + "allow:\n  - rule: sharing-violation\n"
                    "    slots: [dense_a.kernel_initializer, dense_b.kernel_initializer]\n"
                    "    reason: a deliberate experiment with tied initial weights\n")
    assert pf.validate(allowed) == []
    unused = write("u.yaml", open(EX["shared_he_normal_fixed"]).read()
                   + "allow:\n  - {rule: sharing-violation, reason: nothing to allow}\n")
    (f,) = pf.validate(unused)
    assert f.rule == "unused-allow" and f.line == 16  # the allow entry itself
    no_reason = write("n.yaml", src + "allow:\n  - {rule: sharing-violation}\n")
    assert [f.rule for f in pf.validate(no_reason)] == ["schema-missing-key"]


def test_a_blank_reason_is_refused_in_every_file_that_takes_one(write):
    """One `Reason` type: a model's allow:, a policy's allow rule and an audit allow file refuse a blank reason alike."""
    model = write("m.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 2}\n"
                            "allow:\n  - {rule: sharing-violation, reason: \"   \"}\n")
    policy = write("p.yaml", "kind: policy\nversion: 1\nname: p\nrules:\n  - {id: r, component: constraint, "
                             "share: allow, reason: \" \\t\"}\n")
    for path, line in ((model, 7), (policy, 5)):
        r = run_cli("validate", path)
        assert r.returncode == 2, r.stdout
        assert f"{path}:{line}:" in r.stdout and "schema-value: 'reason' is blank" in r.stdout
    allow = write("allow.yaml", "allow:\n  - {rule: correlated-weights, weights: [a/kernel, b/kernel], reason: ' '}\n")
    r = run_cli("audit", os.path.join(EXAMPLES, "forecaster.yaml"), "--allow", allow)
    assert r.returncode == 2 and "'reason' is blank" in r.stdout + r.stderr
