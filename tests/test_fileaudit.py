"""The TF-free file audit: real models saved by Keras, read as data without Keras.

Files are built with the real Keras (and keras_hub, tf_keras where installed) in
the test process; every audit of a file runs the real command line, in a
process of its own where it matters (imports, memory limits).
"""

import json
import os
import resource
import struct
import subprocess
import sys
import zipfile
import zlib

import h5py
import keras
import numpy as np
import pytest
from conftest import ROOT, TIED_POLICY, run_cli

import policyfactory as pf
from policyfactory.core import records
from policyfactory.core.findings import InvalidInput
from policyfactory.core.policy import load_policy
from policyfactory.fileaudit.engine import THRESHOLD, WeightSample, correlation, stream_pairs
from policyfactory.fileaudit.files import audit_file
from policyfactory.fileaudit.layout import variable_names
from policyfactory.keras_side.audit import _tree, live_weights

BLOCKER = (
    "import sys\n"
    "class _Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('tensorflow', 'keras', 'keras_hub', 'tf_keras', 'jax', 'torch'):\n"
    "            raise ImportError('blocked: ' + name)\n"
    "        return None\n"
    "sys.meta_path.insert(0, _Block())\n"
)

PROBE = """
import sys
from policyfactory.cli import main
code = main({args!r})
print("EXIT", code)
print("IMPORTED", sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'keras_hub', 'tf_keras')))
"""



def shared_three(init=None):
    init = init or keras.initializers.HeNormal()
    inp = keras.Input((32,))
    x = inp
    for name in ("a", "b", "c"):
        x = keras.layers.Dense(32, name=name, kernel_initializer=init)(x)
    return keras.Model(inp, x)


def clean_model():
    inp = keras.Input((32,))
    x = keras.layers.Dense(32, name="a")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    return keras.Model(inp, keras.layers.Dense(4, name="b")(x))


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Saved models in every format the audit reads."""
    d = tmp_path_factory.mktemp("saved")
    shared, clean = shared_three(), clean_model()
    paths = {"shared.keras": shared, "clean.keras": clean, "shared.h5": shared, "clean.h5": clean}
    out = {}
    for name, model in paths.items():
        out[name] = str(d / name)
        model.save(out[name])
    out["shared.weights.h5"] = str(d / "shared.weights.h5")
    shared.save_weights(out["shared.weights.h5"])
    junk = d / "notes.txt"
    junk.write_text("not a model")
    out["junk"] = str(junk)
    return out


def probe(args, env_extra=None, block=None, tmp_path=None):
    env = dict(os.environ, PYTHONPATH=ROOT)
    if block:
        (tmp_path / "sitecustomize.py").write_text(BLOCKER)
        env["PYTHONPATH"] = str(tmp_path) + os.pathsep + ROOT
    env.update(env_extra or {})
    r = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True, cwd=ROOT,
                       env=env, timeout=600)
    assert "EXIT" in r.stdout, r.stdout + r.stderr
    code = int(r.stdout.split("EXIT")[1].split()[0])
    imported = r.stdout.split("IMPORTED")[1].strip()
    return code, r.stdout, imported


# -- without TensorFlow and Keras -------------------------------------------------------------

def test_keras_and_h5_files_are_audited_where_tensorflow_and_keras_cannot_be_imported(files, tmp_path):
    expected = {"shared.keras": 1, "shared.h5": 1, "shared.weights.h5": 1, "clean.keras": 0, "clean.h5": 0}
    for name, want in expected.items():
        code, out, imported = probe(["audit", files[name]], block=True, tmp_path=tmp_path)
        assert code == want and imported == "[]", (name, out)
        if want:  # a weights-only file has no config: its variables are named by position
            names = ("a/vars/0", "b/vars/0", "c/vars/0") if "weights" in name else ("a/kernel", "b/kernel", "c/kernel")
            assert "{}, {} and {} are identical".format(*names) in out, out


def test_several_files_in_one_call_each_reported_and_the_worst_exit_code(files):
    r = run_cli("audit", files["clean.keras"], files["shared.keras"], files["shared.h5"], files["junk"])
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"{files['clean.keras']}: ok" in r.stdout
    assert f"{files['shared.keras']}:1:1: error correlated-weights" in r.stdout
    assert f"{files['shared.h5']}:1:1: error correlated-weights" in r.stdout
    assert f"{files['junk']}:1:1: error audit-input" in r.stdout and "Traceback" not in r.stderr
    r = run_cli("audit", files["clean.keras"], files["shared.keras"])
    assert r.returncode == 1


def test_json_findings_carry_weight_and_slot_paths(tmp_path):
    inner_in = keras.Input((16,))
    seeded = keras.initializers.GlorotUniform(seed=5)
    q = keras.layers.Dense(16, name="query", kernel_initializer=seeded)(inner_in)
    k = keras.layers.Dense(16, name="key", kernel_initializer=keras.initializers.GlorotUniform(seed=5))(q)
    encoder = keras.Model(inner_in, k, name="encoder")
    inp = keras.Input((4, 16))
    x = keras.layers.TimeDistributed(encoder, name="steps")(inp)
    lstm = keras.layers.LSTM(8, name="lstm", kernel_initializer=keras.initializers.Orthogonal(seed=2))
    x = keras.layers.Bidirectional(lstm, name="bi")(x)
    path = str(tmp_path / "m.keras")
    keras.Model(inp, x).save(path)
    r = run_cli("audit", "--format", "json", path)
    fs = json.loads(r.stdout)["findings"]
    slots = sorted(f["slots"] for f in fs if f["rule"] == "sharing-violation")
    assert slots == [["bi/forward_lstm.kernel_initializer", "bi/backward_lstm.kernel_initializer"],
                     ["steps/encoder/query.kernel_initializer", "steps/encoder/key.kernel_initializer"]]
    # each group is confirmed by its weights: one finding per cause, slots and weights together
    weights = sorted(f["weights"] for f in fs if f["rule"] == "sharing-violation")
    assert weights == [["bi/forward_lstm/lstm_cell/kernel", "bi/backward_lstm/lstm_cell/kernel"],
                       ["steps/encoder/query/kernel", "steps/encoder/key/kernel"]]
    assert [f for f in fs if f["rule"] == "correlated-weights"] == []
    assert r.returncode == 1 and all(f["file"] == path for f in fs)
    # judged by the policy: one that allows tied Dense kernels accepts that group and its weights
    (tmp_path / "tied.yaml").write_text(TIED_POLICY)
    r = run_cli("audit", "--format", "json", "--policy", str(tmp_path / "tied.yaml"), path)
    rules = sorted((f["rule"], f.get("slots", f.get("weights"))[0]) for f in json.loads(r.stdout)["findings"])
    assert rules == [("sharing-violation", "bi/forward_lstm.kernel_initializer")]


# -- allow files ---------------------------------------------------------------------------------

def test_an_allow_file_accepts_a_named_group_and_reports_entries_that_match_nothing(files, tmp_path):
    allow = tmp_path / "allow.yaml"
    allow.write_text("allow:\n"
                     "  - rule: correlated-weights\n"
                     "    weights: [a/kernel, c/kernel]\n"
                     "    reason: Tied on purpose.\n"
                     "  - rule: correlated-weights\n"
                     "    weights: [nowhere/kernel, elsewhere/kernel]\n"
                     "    reason: A stale entry.\n")
    r = run_cli("audit", "--format", "json", "--allow", str(allow), files["shared.keras"])
    (f,) = json.loads(r.stdout)["findings"]
    assert r.returncode == 0 and f["rule"] == "unused-allow" and f["file"] == str(allow) and f["line"] == 5
    bad = tmp_path / "bad.yaml"
    bad.write_text("allow:\n  - {rule: correlated-weights, weights: [a/kernel]}\n")  # no reason
    r = run_cli("audit", "--allow", str(bad), files["shared.keras"])
    assert r.returncode == 2 and "reason" in r.stdout
    vague = tmp_path / "vague.yaml"
    vague.write_text("allow:\n  - {rule: correlated-weights, reason: everything}\n")  # names no group
    r = run_cli("audit", "--allow", str(vague), files["shared.keras"])
    assert r.returncode == 2 and "weights:' or 'slots:'" in r.stdout


# -- keras_hub ---------------------------------------------------------------------------------

def test_a_keras_hub_llama_file_shows_key_equal_to_value_without_importing_keras_hub(tmp_path):
    keras_hub = pytest.importorskip("keras_hub")
    backbone = keras_hub.models.LlamaBackbone(vocabulary_size=64, num_layers=2, num_query_heads=4,
                                              num_key_value_heads=2, hidden_dim=32, intermediate_dim=64)
    path = str(tmp_path / "llama.keras")
    backbone.save(path)
    code, out, imported = probe(["audit", "--format", "json", path])
    assert code == 1 and imported == "[]", out
    findings = json.loads(out[out.index("{"):out.index("EXIT")])["findings"]
    groups = [f["weights"] for f in findings if "weights" in f]
    for i in range(2):
        key, value = (f"transformer_layer_{i}/self_attention/{p}/vars/0" for p in ("key", "value"))
        group = next(g for g in groups if key in g)
        assert value in group
    # the live audit of the same model names the same groups (variables by name where the file has none)
    live = [f.data["weights"] for f in pf.audit(backbone) if "weights" in f.data]
    assert any("transformer_layer_0/self_attention/key/kernel" in g and "transformer_layer_0/self_attention/value/kernel"
               in g for g in live)


def test_a_keras_hub_weight_has_one_name_in_keras_and_h5_files_so_one_allow_entry_serves_both(tmp_path):
    """A `.keras` file saves a keras_hub projection's variables by position only; the legacy `.h5` saves their
    names. The audit names a variable by position in both wherever a `.keras` file could not name it, so the
    findings are the same and an `--allow` entry is written once."""
    keras_hub = pytest.importorskip("keras_hub")
    backbone = keras_hub.models.LlamaBackbone(vocabulary_size=50, num_layers=1, num_query_heads=2,
                                              num_key_value_heads=1, hidden_dim=8, intermediate_dim=16)
    paths = [str(tmp_path / "llama.keras"), str(tmp_path / "llama.h5")]
    reports = []
    for path in paths:
        backbone.save(path)
        r = run_cli("audit", "--format", "json", path)
        assert r.returncode == 1, r.stdout + r.stderr
        reports.append([{k: v for k, v in f.items() if k != "file"} for f in json.loads(r.stdout)["findings"]])
    assert reports[0] == reports[1]
    groups = [f["weights"] for f in reports[0]]
    qkvo = next(g for g in groups if "transformer_layer_0/self_attention/query/vars/0" in g)
    assert sorted(qkvo) == [f"transformer_layer_0/self_attention/{p}/vars/0"
                            for p in ("attention_output", "key", "query", "value")]
    allow = tmp_path / "allow.yaml"
    allow.write_text("allow:\n" + "".join(f"  - rule: correlated-weights\n    weights: [{', '.join(g)}]\n"
                                             f"    reason: keras_hub's Llama shares one initializer object.\n"
                                             for g in groups))
    r = run_cli("audit", "--allow", str(allow), *paths)
    assert r.returncode == 0, r.stdout + r.stderr


# -- hostile and broken files ----------------------------------------------------------------------

def write_bomb(path, declared=2 << 30):
    """A .keras-looking zip whose config.json declares `declared` bytes of spaces, deflated to about 2 MB."""
    chunk = b" " * (1 << 20)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)  # byte-aligned, no references across repeats
    crc = 0
    for _ in range(declared // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    data = block * (declared // len(chunk)) + b"\x03\x00"  # and a final empty block
    name = b"config.json"
    local = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), declared, len(name), 0)
    central = struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, len(data), declared, len(name),
                          0, 0, 0, 0, 0, 0)
    with open(path, "wb") as fh:
        fh.write(local + name + data)
        offset = fh.tell()
        fh.write(central + name)
        fh.write(struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(name), offset, 0))


def test_a_zip_bomb_is_refused_within_a_2_gb_memory_cap(tmp_path):
    path = str(tmp_path / "bomb.keras")
    write_bomb(path)
    assert os.path.getsize(path) < 3 * 1024 * 1024
    assert zipfile.ZipFile(path).getinfo("config.json").file_size == 2 << 30

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    r = subprocess.run([sys.executable, "-m", "policyfactory", "audit", path], capture_output=True, text=True,
                       cwd=ROOT, preexec_fn=cap, timeout=120)
    assert r.returncode == 2 and "limit-archive" in r.stdout and "Traceback" not in r.stderr, r.stdout + r.stderr


def test_links_out_of_the_file_are_refused(tmp_path, files):
    target = tmp_path / "elsewhere.h5"
    with h5py.File(target, "w") as h:
        h["secret"] = np.arange(64, dtype="float32")
    path = tmp_path / "linked.weights.h5"
    with h5py.File(path, "w") as h:
        h.create_group("layers/dense/vars").attrs["name"] = "dense"
        h["layers/dense/vars/0"] = h5py.ExternalLink(str(target), "secret")
    r = run_cli("audit", str(path))
    assert r.returncode == 2 and "h5-refused" in r.stdout and "ExternalLink" in r.stdout


def test_a_recompressed_archive_is_read_and_foreign_files_are_named_as_such(files, tmp_path):
    src = zipfile.ZipFile(files["shared.keras"])
    deflated = tmp_path / "deflated.keras"
    with zipfile.ZipFile(deflated, "w", compression=zipfile.ZIP_DEFLATED) as out:  # e.g. zipped again by a tool
        for info in src.infolist():
            out.writestr(info.filename, src.read(info.filename))
    foreign = tmp_path / "data.h5"
    with h5py.File(foreign, "w") as h:
        h["x"] = np.arange(100.0)
    no_config = tmp_path / "weights_only.keras"
    with zipfile.ZipFile(no_config, "w") as z:
        z.writestr("model.weights.h5", src.read("model.weights.h5"))
    r = run_cli("audit", "--format", "json", str(deflated), str(foreign), str(no_config))
    got = sorted((f["file"], f["rule"]) for f in json.loads(r.stdout)["findings"])
    assert got == sorted([(str(deflated), "correlated-weights"), (str(foreign), "audit-input"),
                          (str(no_config), "audit-load")]), r.stdout


def mutations(data: bytes):
    """Truncations and byte flips spread over a small .keras file (deterministic)."""
    rng = np.random.default_rng(7)
    for cut in np.linspace(0, len(data) - 1, 25).astype(int):
        yield data[:cut]
    for at in rng.integers(0, len(data), 60):
        yield data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def test_broken_files_give_findings_never_tracebacks(files, tmp_path):
    policy = load_policy("strict")
    data = open(files["shared.keras"], "rb").read()
    outcomes = set()
    for i, variant in enumerate(mutations(data)):
        path = tmp_path / f"m{i}.keras"
        path.write_bytes(variant)
        try:
            result, _ = audit_file(str(path), policy)
            outcomes.add("read")
            assert all(f.rule in ("correlated-weights", "sharing-violation") for f in result.findings)
        except InvalidInput as exc:
            outcomes.add(exc.findings[0].category)
    assert outcomes == {"read", "invalid"}


# -- what the audit must find and must not find in real models ---------------------------------------

def train(model, size, steps):
    # eager steps: tracing and compiling the graph of these models costs more than ten steps on a CPU
    model.compile(keras.optimizers.Adam(), "sparse_categorical_crossentropy", run_eagerly=True)
    x = np.random.default_rng(0).random((4, size, size, 3), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 4)
    model.fit(x, y, epochs=steps, batch_size=4, verbose=0)


def audit_saved(model, path):
    model.save(path)
    result, _ = audit_file(path, load_policy("strict"))
    return result


@pytest.mark.parametrize("arch, size, steps", [("ResNet50", 64, 1), ("MobileNetV2", 64, 10)])
def test_keras_applications_audit_clean_untrained_and_trained_and_an_injected_copy_is_found(arch, size, steps,
                                                                                          tmp_path):
    model = getattr(keras.applications, arch)(weights=None, input_shape=(size, size, 3), classes=10)
    assert pf.audit(model) == []
    assert audit_saved(model, str(tmp_path / "untrained.keras")).findings == []
    train(model, size, steps)
    # the trap is there: batch-norm betas (ResNet's twin branches) or gammas (MobileNetV2) now correlate ...
    weights = live_weights(model, _tree(model))
    unskipped = [records.replace(w, skip=None) if w.skip and w.skip.startswith(("deterministic", "normalization"))
                 else w for w in weights]
    assert {unskipped[i].path.rsplit("/", 1)[1] for i, _j, _r, _n in stream_pairs(unskipped)} <= {"beta", "gamma"}
    assert stream_pairs(unskipped)
    # ... but they were initialized deterministically: no random stream, no finding
    assert pf.audit(model) == []
    trained = audit_saved(model, str(tmp_path / ("trained.keras" if arch == "ResNet50" else "trained.h5")))
    assert trained.findings == [] and trained.compared > 50
    # inject: one conv kernel becomes a scaled copy of another of the same shape
    convs = [v for v in model.weights if v.path.endswith("/kernel") and len(v.shape) == 4]
    a, b = next((a, b) for i, a in enumerate(convs) for b in convs[i + 1:] if a.shape == b.shape)
    b.assign(a.numpy() * 0.5)
    (f,) = pf.audit(model)
    assert f.rule == "correlated-weights" and f.data["weights"] == [a.path, b.path]


def test_tf_keras_h5_files_are_read(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    init = tf_keras.initializers.HeNormal(seed=1)
    inp = tf_keras.Input((32,))
    x = tf_keras.layers.Dense(32, name="a", kernel_initializer=init)(inp)
    x = tf_keras.layers.Bidirectional(tf_keras.layers.LSTM(8, return_sequences=False), name="bi")(
        tf_keras.layers.Reshape((4, 8))(x))
    out = tf_keras.layers.Dense(32, name="b", kernel_initializer=init)(x)
    path = str(tmp_path / "k2.h5")
    tf_keras.Model(inp, out).save(path)
    r = run_cli("audit", "--format", "json", path)
    fs = json.loads(r.stdout)["findings"]
    assert [f["rule"] for f in fs] == ["sharing-violation"], r.stdout  # confirmed by its weights: one finding
    assert fs[0]["weights"] == ["a/kernel", "b/kernel"]
    assert next(f for f in fs if f["rule"] == "sharing-violation")["slots"] == ["a.kernel_initializer",
                                                                                 "b.kernel_initializer"]


# -- the engine and the layout table ----------------------------------------------------------------

def test_the_stream_check_finds_exactly_the_pairs_a_full_comparison_finds():
    rng = np.random.default_rng(3)
    weights = []
    for i in range(120):
        n = int(rng.choice([16, 40, 64, 300, 1000, 4096]))
        weights.append(WeightSample(f"w{i}", rng.normal(size=n).astype(np.float32), n))
    # near the threshold on both sides: noise for r = 0.9995 (found) and r = 0.998 (not), a sign flip, scaled copies
    long = [i for i, w in enumerate(weights) if w.values.size >= 1000]
    for i, (scale, noise) in enumerate([(2.0, 0.0), (-1.0, 0.0), (1.0, 0.0316), (1.0, 0.0632), (0.3, 0.01), (1.0, 0.0)]):
        base = weights[long[i]].values
        v = scale * base + scale * noise * rng.normal(size=base.size).astype(np.float32)
        if i == 5:  # one sign flipped among the first values: a sign fingerprint would differ
            at = int(np.argmin(np.abs(v[:8])))
            v[at] = -v[at]
        weights.append(WeightSample(f"copy{i}", v.astype(np.float32), v.size))
    brute = set()
    for i in range(len(weights)):
        for j in range(i + 1, len(weights)):
            n = min(weights[i].values.size, weights[j].values.size)
            if abs(correlation(weights[i].values[:n], weights[j].values[:n])) > THRESHOLD:
                brute.add((i, j))
    assert {j - 120 for _i, j in brute if j >= 120} == {0, 1, 2, 4, 5}
    assert {(i, j) for i, j, _r, _n in stream_pairs(weights)} == brute


LAYERS = [
    ("Dense", keras.layers.Dense, {"units": 3}, [{}, {"use_bias": False}], (4,)),
    ("EinsumDense", keras.layers.EinsumDense, {"equation": "ab,bc->ac", "output_shape": 3},
     [{}, {"bias_axes": "c"}], (4,)),
    ("Conv2D", keras.layers.Conv2D, {"filters": 2, "kernel_size": 3}, [{}, {"use_bias": False}], (5, 5, 2)),
    ("Conv1DTranspose", keras.layers.Conv1DTranspose, {"filters": 2, "kernel_size": 3}, [{}], (5, 2)),
    ("DepthwiseConv2D", keras.layers.DepthwiseConv2D, {"kernel_size": 3}, [{}, {"use_bias": False}], (5, 5, 2)),
    ("SeparableConv1D", keras.layers.SeparableConv1D, {"filters": 2, "kernel_size": 3}, [{}], (5, 2)),
    ("BatchNormalization", keras.layers.BatchNormalization, {}, [{}, {"center": False}, {"scale": False}], (4,)),
    ("LayerNormalization", keras.layers.LayerNormalization, {}, [{}, {"center": False}, {"scale": False}], (4,)),
    ("GroupNormalization", keras.layers.GroupNormalization, {"groups": 2}, [{}, {"center": False}], (4,)),
    ("Embedding", keras.layers.Embedding, {"input_dim": 5, "output_dim": 3}, [{}], (2,)),
    ("PReLU", keras.layers.PReLU, {}, [{}], (4,)),
    ("LSTMCell", keras.layers.LSTMCell, {"units": 2}, [{}, {"use_bias": False}], (3,)),
    ("GRUCell", keras.layers.GRUCell, {"units": 2}, [{}], (3,)),
    ("SimpleRNNCell", keras.layers.SimpleRNNCell, {"units": 2}, [{}], (3,)),
]


@pytest.mark.parametrize("name, cls, base, variants, shape", LAYERS, ids=[x[0] for x in LAYERS])
def test_the_layout_table_names_variables_as_keras_creates_them(name, cls, base, variants, shape):
    for extra in variants:
        layer = cls(**base, **extra)
        layer.build((None, *shape))
        own = [v.name for v in layer._trainable_variables + layer._non_trainable_variables]
        assert variable_names(name, layer.get_config(), len(own)) == own, (name, extra)


def test_the_layout_table_names_attention_projections():
    from policyfactory.fileaudit.layout import CHILD_LAYOUTS

    for name, layer in (("MultiHeadAttention", keras.layers.MultiHeadAttention(2, 2)),
                        ("GroupQueryAttention", keras.layers.GroupQueryAttention(4, 2, 2)),
                        ("MultiHeadAttention", keras.layers.MultiHeadAttention(2, 2, use_bias=False))):
        x = keras.Input((3, 4))
        layer(x, x)
        checked = 0
        for child in layer._flatten_layers(include_self=False, recursive=False):
            own = [v.name for v in child._trainable_variables + child._non_trainable_variables]
            if own:
                assert variable_names(CHILD_LAYOUTS[name], layer.get_config(), len(own)) == own
                checked += 1
        assert checked == 4
