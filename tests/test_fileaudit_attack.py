"""Found while using the file audit as a new user and as an attacker, on real models.

Each test builds real models with the real Keras (and keras_hub), saves them, and
audits the files through the real command line.
"""

import json
import zipfile

import keras
import numpy as np
import pytest
from conftest import run_cli

import policyfactory as pf


def correlated(stdout):
    return [f for f in json.loads(stdout)["findings"] if f["rule"] == "correlated-weights"]


def fit_on_noise(model, steps):
    """A few Adam steps on random data (regressing every output on noise)."""
    keras.utils.set_random_seed(0)
    x = {}
    for i in model.inputs:
        shape = (4,) + tuple(d or 8 for d in i.shape[1:])
        name = i.name.split(":")[0]
        x[name] = (np.ones(shape, "int32") if "mask" in name else np.zeros(shape, "int32") if "segment" in name
                   else np.random.default_rng(0).integers(1, 50, shape).astype("int32"))
    y = model.predict(x, verbose=0)
    y = {k: np.random.default_rng(1).normal(size=v.shape).astype("float32") for k, v in y.items()} \
        if isinstance(y, dict) else np.random.default_rng(1).normal(size=y.shape).astype("float32")
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    for _ in range(steps):
        model.train_on_batch(x, y)


def test_a_trained_keras_hub_bert_file_audits_clean_though_its_layer_norms_are_unnamed(tmp_path):
    # In a .keras file the layer norms inside keras_hub's TransformerEncoder are saved by position
    # (vars/0, vars/1): their ones/zeros initializers are unknown to the audit. Three Adam steps give
    # the norms of neighbouring blocks alike updates (r = 0.9999 over 32 values): not one stream.
    keras_hub = pytest.importorskip("keras_hub")
    keras.utils.set_random_seed(0)
    bert = keras_hub.models.BertBackbone(vocabulary_size=100, num_layers=2, num_heads=4, hidden_dim=32,
                                         intermediate_dim=64, max_sequence_length=16)
    fit_on_noise(bert, 3)
    path = str(tmp_path / "bert.keras")
    bert.save(path)
    r = run_cli("audit", "--format", "json", path)
    assert r.returncode == 0 and correlated(r.stdout) == [], r.stdout + r.stderr
    assert [f for f in pf.audit(bert) if f.rule == "correlated-weights"] == []


class Vectors(keras.layers.Layer):
    """A custom layer (unknown to the audit) with two vectors from one initializer object."""

    def __init__(self, init=None, **kwargs):
        super().__init__(**kwargs)
        self.init = init or keras.initializers.HeNormal()

    def build(self, shape):
        self.u = self.add_weight(shape=(64,), initializer=self.init, name="u")
        self.v = self.add_weight(shape=(64,), initializer=self.init, name="v")

    def call(self, x):
        return x * self.u + self.v


def test_vectors_of_a_custom_layer_drawn_from_one_stream_are_still_found(tmp_path):
    inp = keras.Input((64,))
    model = keras.Model(inp, Vectors(name="vec")(inp))
    path = str(tmp_path / "vec.keras")
    model.save(path)
    r = run_cli("audit", "--format", "json", path)
    (f,) = correlated(r.stdout)
    assert r.returncode == 1 and f["weights"] == ["vec/vars/0", "vec/vars/1"] and f["evidence"]["identical"]
    (live,) = [f for f in pf.audit(model) if f.rule == "correlated-weights"]
    assert live.data["weights"] == ["vec/u", "vec/v"]


def test_a_nan_in_shared_weights_does_not_hide_them(tmp_path):
    init = keras.initializers.HeNormal()
    inp = keras.Input((32,))
    x = keras.layers.Dense(32, name="a", kernel_initializer=init)(inp)
    model = keras.Model(inp, keras.layers.Dense(32, name="b", kernel_initializer=init)(x))
    for name, bad in (("a", np.nan), ("b", np.inf)):
        kernel = model.get_layer(name).kernel.numpy()
        kernel[0, :4] = bad
        model.get_layer(name).kernel.assign(kernel)
    (live,) = pf.audit(model)  # the denied group, confirmed by its weights despite the NaN and inf
    assert live.rule == "sharing-violation" and live.data["weights"] == ["a/kernel", "b/kernel"]
    for name in ("m.keras", "m.h5"):
        path = str(tmp_path / name)
        model.save(path)
        r = run_cli("audit", "--format", "json", path)
        (f,) = correlated(r.stdout)
        assert r.returncode == 1 and f["weights"] == ["a/kernel", "b/kernel"], r.stdout


@pytest.mark.parametrize("text, what", [("[]", "array"), ("1", "number"), ("null", "null"), ('"x"', "string")])
def test_a_config_that_is_not_a_json_object_is_invalid_input(tmp_path, text, what):
    inp = keras.Input((32,))
    keras.Model(inp, keras.layers.Dense(32, name="a")(inp)).save(tmp_path / "real.keras")
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(tmp_path / "real.keras") as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            out.writestr(info, text if info.filename == "config.json" else src.read(info))
    r = run_cli("audit", str(path))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stdout.splitlines()[0] == (f"{path}:1:1: error audit-load: config.json holds a JSON {what}, not the "
                                        f"object Keras writes: not a Keras model file")


@pytest.mark.parametrize("entry, where, words", [
    ("weights: [a/kernel, b/kernel]\n    reason: '   '", "4:13", "'reason' is blank"),
    ("weights: [a/kernel]\n    reason: only one", "3:14", "'weights' names only 'a/kernel'"),
    ("slots: [a.kernel_initializer]\n    reason: only one", "3:12", "'slots' names only 'a.kernel_initializer'"),
])
def test_an_allow_entry_with_a_blank_reason_or_a_single_name_is_invalid_input(tmp_path, entry, where, words):
    # A single name is no group: `weights: [a/kernel]` silenced the correlation of a, b and c.
    init = keras.initializers.HeNormal()
    inp = keras.Input((32,))
    x = inp
    for name in "abc":
        x = keras.layers.Dense(32, name=name, kernel_initializer=init)(x)
    path = str(tmp_path / "m.keras")
    keras.Model(inp, x).save(path)
    allow = tmp_path / "allow.yaml"
    allow.write_text(f"allow:\n  - rule: correlated-weights\n    {entry}\n")
    r = run_cli("audit", "--allow", str(allow), path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stdout.startswith(f"{allow}:{where}: error schema-value: {words}"), r.stdout


def test_a_fifo_a_repeated_config_key_and_a_misspelt_allow_rule_read_well(tmp_path):
    import os
    fifo = tmp_path / "f.keras"
    os.mkfifo(fifo)
    r = run_cli("audit", str(fifo))  # returns at once: a FIFO is never opened
    assert r.returncode == 2 and "f.keras:1:1: error file-unreadable: is not a regular file" in r.stdout

    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(2, name="d")(inp))
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    text = members["config.json"].decode()
    members["config.json"] = ('{"class_name": "Sequential", ' + text[1:]).encode()  # "class_name" twice
    twice = tmp_path / "twice.keras"
    with zipfile.ZipFile(twice, "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    for command, rule in (("audit", "audit-load"), ("export", "export-input")):
        r = run_cli(command, str(twice))
        out = r.stdout + r.stderr
        assert r.returncode == 2 and rule in out and "repeats the key 'class_name'" in out, out

    allow = tmp_path / "allow.yaml"
    allow.write_text("allow:\n  - {rule: correlated-weight, weights: [a/kernel, b/kernel], reason: tied}\n")
    r = run_cli("audit", str(path), "--allow", str(allow))
    assert r.returncode == 0 and "unused-allow" in r.stdout and "did you mean 'correlated-weights'" in r.stdout


def test_a_compressed_weights_member_is_copied_only_under_its_limit(tmp_path):
    from policyfactory.core.findings import InvalidInput
    from policyfactory.fileaudit.archive import AuditLimits, open_keras

    inp = keras.Input((64,))
    model = keras.Model(inp, keras.layers.Dense(64, name="d")(inp))
    stored = tmp_path / "m.keras"
    model.save(stored)
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(stored) as src, zipfile.ZipFile(deflated, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name))
    assert run_cli("audit", str(deflated)).returncode == 0  # read through a bounded temporary copy
    with pytest.raises(InvalidInput, match="compressed and declares .* more than the limit"), \
            open_keras(str(deflated), AuditLimits(max_weights_bytes=1000)):
        pass
    with open_keras(str(stored), AuditLimits(max_weights_bytes=1000)):  # stored: read in place, no copy
        pass


def test_evidence_keeps_the_sign_and_the_message_and_json_agree():
    # a negated copy is one stream drawn with the sign flipped: r = -1, not 1
    import numpy as np

    from policyfactory.fileaudit.engine import WeightSample, stream_finding, stream_groups

    rng = np.random.default_rng(0)
    a = rng.normal(size=300)
    near = -(2 * a + rng.normal(size=300) * 1e-3)  # scaled, negated and slightly perturbed
    for other, r_json in ((-a, -1.0), (near, None)):
        ws = [WeightSample(p, v, v.size) for p, v in (("a/kernel", a), ("b/kernel", other))]
        f = stream_finding(stream_groups(ws)[0], "m.keras")
        ev = f.data["evidence"]
        assert ev["r"] < 0 and ev["lowest_r"] == abs(ev["r"])
        if r_json is not None:
            assert ev["r"] == r_json
        else:
            assert f"r = {ev['r']:.6f}" in f.message  # the message shows what JSON says
    # a group of three with a negated copy: the message names |r| and the signed r JSON gives
    third = 0.5 * a
    ws = [WeightSample(p, v, v.size) for p, v in (("a/kernel", a), ("b/kernel", -a), ("c/kernel", third))]
    f = stream_finding(stream_groups(ws)[0], "m.keras")
    ev = f.data["evidence"]
    assert f.data["weights"] == ["a/kernel", "b/kernel", "c/kernel"] and ev["r"] == -1.0 and ev["lowest_r"] == 1.0
    assert "(lowest |r| = 1.000000, r = -1.000000 for that pair)" in f.message
