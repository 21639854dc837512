"""Hardening III: the audit of saved models is bounded, linear and hard to evade.

Each crafted file once cost minutes or gigabytes (tests/crafted.py says how); here each runs
through the real command line in a process capped at 2 GB and must end with a finding and an
exit code (0, 1 or 2), never an internal error. Their times are in benchmarks/bench_audit_attacks.py.
"""

import json
import os
import resource
import subprocess
import sys

import crafted
import keras
import numpy as np
import pytest
from conftest import ROOT, run_cli

import policyfactory as pf
from policyfactory.core.findings import InvalidInput
from policyfactory.core.zipread import DEFAULT_ARCHIVE_LIMITS, open_archive
from policyfactory.fileaudit.engine import THRESHOLD, WeightSample, correlation, stream_groups


def capped(*args):
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "policyfactory", *args], capture_output=True, text=True, cwd=ROOT,
                          preexec_fn=cap, timeout=300)


EXPECTED = {  # attack -> (exit code, rule of the first finding or None, words)
    "legacy_repeats": (0, None, "\"findings\": []"),
    "hard_links": (1, "correlated-weights", "l999/vars/0"),
    "identical_copies": (1, "correlated-weights", "l599/vars/0"),
    "link_dag": (2, "h5-refused", "second link to a group"),
    "gzip_chunk_links": (1, "correlated-weights", "l199/vars/0"),
    "json_lists": (2, "limit-archive", "JSON values, more than the limit"),
}


@pytest.mark.parametrize("name", crafted.ATTACKS)
def test_a_crafted_file_ends_with_a_finding_within_2_gb(name, tmp_path):
    path = crafted.write(name, str(tmp_path))
    code, rule, words = EXPECTED[name]
    r = capped("audit", "--format", "json", path)
    out = r.stdout + r.stderr
    assert r.returncode == code and "internal error" not in out and "Traceback" not in out, out[-2000:]
    findings = json.loads(r.stdout)["findings"]
    assert [f["rule"] for f in findings] == ([rule] if rule else []), out[-2000:]
    assert words in out
    if rule == "correlated-weights":  # every link is one weight of one group, read once
        (f,) = findings
        assert f["evidence"]["identical"] and len(f["weights"]) == {"hard_links": 1000, "identical_copies": 600,
                                                                    "gzip_chunk_links": 200}[name]


def test_decompressed_bytes_are_budgeted_per_file(tmp_path):
    path = crafted.gzip_chunk_datasets(str(tmp_path / "chunks.h5"), datasets=20)
    r = capped("audit", path)
    assert r.returncode == 2 and "h5-refused" in r.stdout and "would decompress more than 512.0 MiB" in r.stdout


def test_export_and_audit_refuse_a_config_bomb_and_a_device_through_one_reader(tmp_path):
    bomb = crafted.json_lists(str(tmp_path / "bomb.keras"), mib=60, noise=0)  # 60 MiB of [] in 60 KB
    assert os.path.getsize(bomb) < 100_000
    for command, rule in (("export", "export-input"), ("audit", "limit-archive")):
        r = capped(command, bomb)
        out = r.stdout + r.stderr
        assert r.returncode == 2 and rule in out and "ratio 1,0" in out and "internal error" not in out, out
    with pytest.raises(InvalidInput, match="not a regular file"):
        pf.export("/dev/zero")
    fifo = tmp_path / "pipe.keras"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"), \
            open_archive(str(fifo), DEFAULT_ARCHIVE_LIMITS, lambda what, text: ValueError(text)):
        pass


def test_many_allow_entries_are_matched_without_multiplying_them_by_slots(tmp_path):
    path = crafted.allow_file_model(str(tmp_path), 400)
    r = run_cli("validate", "--format", "json", path)
    findings = json.loads(r.stdout)["findings"]
    assert r.returncode == 0 and len(findings) == 200, r.stdout[-1000:]
    assert all(f["rule"] == "unused-allow" and "kernel_initialiser" in f["message"] for f in findings)


def test_a_transposed_copy_from_one_orthogonal_object_is_found(tmp_path):
    init = keras.initializers.Orthogonal()
    inp = keras.Input((32,))
    x = keras.layers.Dense(64, name="a", kernel_initializer=init)(inp)
    model = keras.Model(inp, keras.layers.Dense(32, name="b", kernel_initializer=init)(x))
    a, b = model.get_layer("a").kernel.numpy(), model.get_layer("b").kernel.numpy()
    assert np.array_equal(b, a.T) and abs(correlation(a.ravel()[:1024], b.ravel()[:1024])) < 0.1
    for name in ("m.keras", "m.h5"):
        path = str(tmp_path / name)
        model.save(path)
        r = run_cli("audit", "--format", "json", path)
        (f,) = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "correlated-weights"]
        assert r.returncode == 1 and f["weights"] == ["a/kernel", "b/kernel"] and f["evidence"]["transposed"]
        assert "one matrix as another's transpose" in r.stdout
    (live,) = pf.audit(model)  # live, the one object is seen too: one finding, confirmed by the transposed weights
    assert live.rule == "sharing-violation" and live.data["weights"] == ["a/kernel", "b/kernel"]
    assert live.data["evidence"]["transposed"]


def test_identical_and_transposed_groups_match_a_full_comparison():
    rng = np.random.default_rng(5)
    base = rng.normal(size=(48, 24)).astype(np.float32)
    ws = [WeightSample(f"w{i}", rng.normal(size=300).astype(np.float32), 300) for i in range(30)]
    ws += [WeightSample(f"copy{i}", ws[3].values.copy(), 300) for i in range(5)]  # identical copies of w3
    ws += [WeightSample(f"scaled{i}", ws[7].values * (i + 2), 300) for i in range(3)]
    ws += [WeightSample("m", base.ravel(), base.size, transposed=base.T.ravel()[:1024]),
           WeightSample("mt", base.T.ravel(), base.size)]
    ws += [WeightSample("tied_a", ws[10].values.copy(), 300, group="g"),
           WeightSample("tied_b", ws[10].values.copy(), 300, group="g")]
    groups = {tuple(g.paths) for g in stream_groups(ws, allowed=lambda key: key == "g")}
    assert groups == {("w3", "copy0", "copy1", "copy2", "copy3", "copy4"), ("w7", "scaled0", "scaled1", "scaled2"),
                      ("m", "mt"), ("w10", "tied_a", "tied_b")}
    # the pair of one allowed group alone is not reported; every other pair of w10, tied_a, tied_b is
    alone = [w for w in ws if w.path in ("tied_a", "tied_b")]
    assert stream_groups(alone, allowed=lambda key: key == "g") == []
    assert all(abs(correlation(ws[3].values, w.values)) > THRESHOLD for w in ws if w.path.startswith("copy"))


def test_a_trained_keras_hub_gpt_neox_file_audits_clean_and_a_shared_kernel_in_it_is_found(tmp_path):
    # Its parallel residual sums the attention and feed-forward outputs: their zero-initialized biases
    # (saved by position in layers the config does not list) get one gradient and stay identical.
    keras_hub = pytest.importorskip("keras_hub")
    from test_fileaudit_attack import fit_on_noise

    keras.utils.set_random_seed(0)
    model = keras_hub.models.GPTNeoXBackbone(vocabulary_size=64, num_layers=2, num_heads=2, hidden_dim=16,
                                             intermediate_dim=32, max_sequence_length=16)
    fit_on_noise(model, 3)
    path = str(tmp_path / "neox.keras")
    model.save(path)
    r = run_cli("audit", "--format", "json", path)
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == [], r.stdout
    # one kernel copied onto another (what one shared initializer object gives) is still found
    first = model.get_layer("transformer_layer_0")._self_attention_layer._output_dense.kernel
    second = model.get_layer("transformer_layer_1")._self_attention_layer._output_dense.kernel
    second.assign(first.numpy())
    copied = str(tmp_path / "copied.keras")
    model.save(copied)
    r = run_cli("audit", "--format", "json", copied)
    (f,) = json.loads(r.stdout)["findings"]
    assert r.returncode == 1 and f["rule"] == "correlated-weights" and f["evidence"]["identical"]
    assert f["weights"] == [f"transformer_layer_{i}/self_attention/attention_output/vars/0" for i in (0, 1)]


class ZeroInit(keras.layers.Layer):
    """A custom layer whose config names only deterministic initializers."""

    def __init__(self, kernel_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, shape):
        self.u = self.add_weight(shape=(64,), initializer=self.kernel_initializer, name="u")
        self.v = self.add_weight(shape=(64,), initializer=self.kernel_initializer, name="v")

    def call(self, x):
        return x * self.u + self.v

    def get_config(self):
        return {**super().get_config(), "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def test_a_custom_layer_whose_config_names_only_deterministic_initializers_is_not_a_stream(tmp_path):
    inp = keras.Input((64,))
    model = keras.Model(inp, ZeroInit(name="z")(inp))
    for var in model.get_layer("z").weights:  # trained alike: identical, non-constant values
        var.assign(np.linspace(-1, 1, 64).astype("float32"))
    path = str(tmp_path / "z.keras")
    model.save(path)
    r = run_cli("audit", path)
    assert r.returncode == 0, r.stdout
    random = keras.Model(inp, ZeroInit(name="z", kernel_initializer="he_normal")(inp))
    random.get_layer("z").u.assign(random.get_layer("z").v.numpy())
    random.save(path)
    r = run_cli("audit", "--format", "json", path)
    assert r.returncode == 1 and json.loads(r.stdout)["findings"][0]["weights"] == ["z/vars/0", "z/vars/1"]
