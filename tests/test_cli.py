"""The command line as a user meets it: quiet TensorFlow, one line per finding."""

import os

from conftest import EXAMPLES, run_cli


def test_build_prints_no_tensorflow_start_up_lines(tmp_path):
    env = {"TF_CPP_MIN_LOG_LEVEL": ""}  # as a user's shell has it: nothing set
    r = run_cli("build", os.path.join(EXAMPLES, "forecaster.yaml"), "-o", str(tmp_path / "f.keras"), env=env)
    assert r.returncode == 0 and (tmp_path / "f.keras").exists()
    assert r.stderr.strip() == "", r.stderr
    # a real error still reaches stderr: the summary line of a refused build
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Reshape, target_shape: [3]}\n")
    r = run_cli("build", str(bad), "-o", str(tmp_path / "b.keras"), env=env)
    assert r.returncode == 2 and "not built, nothing written" in r.stderr
    assert "absl" not in r.stderr and "cuda" not in r.stderr.lower()
    assert "keras-error" in r.stdout and "\\x1b" not in r.stdout  # Keras's terminal colours are stripped


def test_every_sharing_violation_says_how_to_fix_it(write):
    import json
    r = run_cli("validate", "--format", "json", os.path.join(EXAMPLES, "shared_he_normal.yaml"))
    (f,) = json.loads(r.stdout)["findings"]
    assert f["rule"] == "sharing-violation" and "inline" in f["help"] and "allow:" in f["help"]
    r = run_cli("validate", "--policy", "strict", "--format", "json", os.path.join(EXAMPLES, "forecaster.yaml"))
    (f,) = json.loads(r.stdout)["findings"]
    assert "use policy 'stateless', which allows it" in f["help"]  # the shipped policy that would allow it
    text = run_cli("validate", os.path.join(EXAMPLES, "shared_he_normal.yaml")).stdout
    assert "\n    help: give each slot its own component" in text


def test_typos_in_allow_and_unused_shared_are_named(write):
    import json
    src = open(os.path.join(EXAMPLES, "shared_he_normal.yaml")).read()
    typo = write("t.yaml", src + "allow:\n  - {rule: sharing-violaton, reason: tied}\n"
                                 "  - {rule: sharing-violation, slots: [dense_a.kernel_initialiser], reason: tied}\n")
    fs = {f["message"] for f in json.loads(run_cli("validate", "--format", "json", typo).stdout)["findings"]}
    assert any("did you mean 'sharing-violation'" in m for m in fs)
    assert any("no slot 'dense_a.kernel_initialiser' (did you mean 'dense_a.kernel_initializer'?)" in m for m in fs)
    unused = write("u.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nshared:\n  he: {initializer: HeNormal}\n"
                             "layers: [{type: Dense, units: 2}]\n")
    r = run_cli("validate", "--format", "json", unused)
    (f,) = json.loads(r.stdout)["findings"]
    assert (r.returncode, f["rule"], f["severity"], f["line"]) == (0, "unused-shared", "warning", 5)


def test_friendly_texts_for_tabs_empty_lists_and_factory_typos(write):
    r = run_cli("validate", write("tab.yaml", "kind: model\nversion: 1\n\tinput: {shape: [4]}\n"))
    assert ":3:1: error yaml-syntax: invalid YAML: a tab character: YAML indents with spaces only" in r.stdout
    r = run_cli("validate", write("e.yaml", "kind: model\nversion: 1\ninput: {shape: [4]}\nlayers: []\n"))
    assert "'layers' needs at least 1 item" in r.stdout and "after validation" not in r.stdout
    import keras
    import pytest

    import policyfactory as pf
    with pytest.raises(pf.InvalidInput, match="did you mean 'kernel_initializer'"):
        pf.LayerFactory().Dense(3, kernel_initialiser=keras.initializers.HeNormal())


def test_one_pass_reports_top_level_and_layer_errors_together(write):
    path = write("m.yaml", "kind: model\nversion: 1\nseed: \"7\"\ninput: {shape: [4]}\nlayers:\n"
                           "  - {type: Densee, units: 3}\n  - {type: Dense, unit: 3}\n")
    r = run_cli("validate", path)
    rules = [line.split(": error ")[1].split(":")[0] for line in r.stdout.splitlines() if ": error " in line]
    assert r.returncode == 2 and rules == ["schema-type", "unknown-layer-type", "missing-argument", "unknown-argument"]
    policy = write("p.yaml", "kind: policy\nversion: 1\nname: p\nfoo: 1\nrules:\n"
                             "  - {id: a, component: initializer, layers: [LSTMM], share: deny}\n"
                             "  - {id: b, component: bogus, share: deny}\n")
    r = run_cli("validate", policy)
    assert ":4:1: error schema-unknown-key" in r.stdout and ":6:46: error unknown-layer-type" in r.stdout
    assert ":7:24: error schema-value" in r.stdout
