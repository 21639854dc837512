"""Export: Keras models, live and saved, become model files that validate, build and match the original."""

import copy
import json
import os
import re
import subprocess
import sys
import zipfile

import keras
import pytest
from conftest import ROOT, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from roundtrip import application, round_trip

import policyfactory as pf
from policyfactory.core.catalog import catalog
from policyfactory.core.export_yaml import export_config, read_keras_config
from policyfactory.core.findings import InvalidInput
from policyfactory.core.yamlemit import scalar
from policyfactory.core.yamlload import load_file, load_text
from policyfactory.core.zipread import ArchiveLimits

L = keras.layers
LONG = os.environ.get("PF_FUZZ_LONG") == "1"

# keras.applications at the smallest input each allows (InceptionV3 needs 75x75), built with weights=None.
APPLICATIONS = {"ResNet50": (32, 32, 3), "MobileNetV2": (32, 32, 3), "DenseNet121": (32, 32, 3),
                "EfficientNetB0": (32, 32, 3), "InceptionV3": (75, 75, 3)}


def two_input_rnn():
    """Two inputs, two outputs; Bidirectional (with and without its own backward layer), TimeDistributed,
    stacked RNN cells, an integer input, regularizers, a constraint and an explicit seed."""
    series = keras.Input((6, 3), name="series")
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    x = L.Bidirectional(L.LSTM(8, return_sequences=True, recurrent_dropout=0.1,
                               kernel_regularizer=keras.regularizers.L2(1e-4)), name="bi_lstm")(series)
    x = L.TimeDistributed(L.Dense(4, activation="relu", kernel_initializer=keras.initializers.HeNormal(seed=3)),
                          name="per_step")(x)
    x = L.Bidirectional(L.GRU(4), backward_layer=L.GRU(4, go_backwards=True,
                                                       kernel_constraint=keras.constraints.MaxNorm(3.0)),
                        name="bi_gru")(x)
    y = L.Embedding(50, 8, embeddings_regularizer="l1", name="embed")(tokens)
    y = L.RNN([L.LSTMCell(5, recurrent_initializer="glorot_normal"), L.GRUCell(5)], name="stacked")(y)
    z = L.Concatenate(name="merge")([x, y])
    score = L.Dense(1, name="score", bias_regularizer=keras.regularizers.L1L2(l1=1e-5, l2=1e-4))(z)
    label = L.Dense(3, activation="softmax", name="label")(z)
    return keras.Model([series, tokens], [score, label], name="two_input_rnn")


def small_sequential():
    return keras.Sequential([keras.Input((10, 4)), L.Conv1D(8, 3, padding="same", kernel_regularizer="l2"),
                             L.MaxPooling1D(), L.LSTM(6), L.Dropout(0.2), L.Dense(2, activation="softmax")],
                            name="small_sequential")


MODELS = {name: (lambda name=name, shape=shape: getattr(keras.applications, name)(weights=None, input_shape=shape))
          for name, shape in APPLICATIONS.items()}
MODELS.update({"two_input_rnn": two_input_rnn, "small_sequential": small_sequential})


def signature(model):
    """Layer types and names in order (inputs aside), parameter count, output shapes."""
    layers = [layer for layer in model.layers if not isinstance(layer, L.InputLayer)]
    return [type(layer).__name__ for layer in layers], [layer.name for layer in layers], model.count_params(), \
        model.output_shape


def body(text):
    return [line for line in text.splitlines() if not line.startswith("#")]


def written_layers(layers):
    for layer in layers:
        yield layer
        for value in layer.values():
            subs = value if isinstance(value, list) else [value]
            yield from written_layers([s for s in subs if isinstance(s, dict) and "type" in s])


def assert_only_non_defaults(data):
    """No written argument equals its catalog default, and every component is in its shortest form."""
    cat = catalog()
    for layer in written_layers(data["layers"]):
        lt = cat.layer(layer["type"])
        for key, value in layer.items():
            info = lt.params.get(key, {})
            assert "default" not in info or value != info["default"], (layer["name"], key)
            if key not in lt.slots or not isinstance(value, (str, dict)) or "shared" in value:
                continue
            ct = cat.component(lt.slots[key].kind, value if isinstance(value, str) else value["class_name"])
            if isinstance(value, str):  # a name: a non-default class with its default config
                assert ct.name != lt.slots[key].default, (layer["name"], key)
            else:  # a mapping: only for a config that differs from the class's defaults
                assert value["config"] and all(v != ct.params[k].get("default") for k, v in value["config"].items())


@pytest.mark.parametrize("name", list(MODELS))
def test_round_trip_from_the_live_model_and_from_the_keras_file(name, tmp_path):
    model = MODELS[name]()
    live = pf.export(model)
    saved = tmp_path / f"{name}.keras"
    model.save(saved)
    out = tmp_path / f"{name}.yaml"
    r = run_cli("export", str(saved), "-o", str(out))
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    text = out.read_text(encoding="utf-8")
    assert body(text) == body(live)  # nothing shared here, so the file and the live model give one model file
    v = run_cli("validate", str(out))
    assert v.returncode == 0, v.stdout + v.stderr
    assert signature(pf.build_model(str(out))) == signature(model)
    data = load_file(str(out)).value
    assert ("input" in data) == isinstance(model, keras.Sequential)
    assert_only_non_defaults(data)


def test_one_he_normal_object_in_two_layers_becomes_a_shared_entry_and_validate_refuses_it(tmp_path):
    he = keras.initializers.HeNormal()
    inp = keras.Input((8,), name="x")
    x = L.Dense(4, kernel_initializer=he, name="dense_a")(inp)
    x = L.Dense(4, kernel_initializer=he, name="dense_b")(x)
    x = L.Dense(4, kernel_initializer=keras.initializers.HeNormal(seed=5), name="dense_c")(x)
    x = L.Dense(4, kernel_initializer=keras.initializers.HeNormal(seed=5), name="dense_d")(x)
    model = keras.Model(inp, x, name="tied")
    out = tmp_path / "tied.yaml"
    out.write_text(pf.export(model), encoding="utf-8")
    data = load_file(str(out)).value
    ((shared_name, decl),) = data["shared"].items()
    assert decl == {"initializer": "he_normal"}
    kernels = {layer["name"]: layer.get("kernel_initializer") for layer in data["layers"]}
    assert kernels["dense_a"] == kernels["dense_b"] == {"shared": shared_name}
    assert kernels["dense_c"] == kernels["dense_d"] == {"class_name": "HeNormal", "config": {"seed": 5}}
    r = run_cli("validate", "--format", "json", str(out))
    assert r.returncode == 1, r.stdout + r.stderr
    findings = json.loads(r.stdout)["findings"]
    assert {f["rule"] for f in findings} == {"sharing-violation"}
    assert sorted(f["slots"] for f in findings) == [["dense_a.kernel_initializer", "dense_b.kernel_initializer"],
                                                     ["dense_c.kernel_initializer", "dense_d.kernel_initializer"]]
    # A save keeps no object identity: exported from the file, the HeNormal object is two components;
    # the explicit seeds still form a group.
    model.save(tmp_path / "tied.keras")
    r = run_cli("export", str(tmp_path / "tied.keras"))
    assert r.returncode == 0 and "sharing-violation" in r.stderr
    from_file = load_text(r.stdout).value
    assert "shared" not in from_file
    assert [f.data["slots"] for f in pf.validate(from_file)] == [["dense_c.kernel_initializer",
                                                                 "dense_d.kernel_initializer"]]


@keras.saving.register_keras_serializable(package="pftest")
class Scale(L.Layer):
    def __init__(self, factor=1.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package="pftest")
class HalfNorm(keras.constraints.Constraint):
    def __call__(self, w):
        return w * 0.5


def test_classes_outside_the_catalog_are_refused_one_finding_per_class_and_registration_brings_them_in(tmp_path):
    inp = keras.Input((4,))
    x = Scale(2.0, name="scale_a")(inp)
    x = Scale(3.0, name="scale_b")(x)
    x = L.Dense(2, kernel_constraint=HalfNorm(), name="head")(x)
    model = keras.Model(inp, x, name="custom")
    with pytest.raises(pf.InvalidInput) as ei:
        pf.export(model)
    by_rule = {f.rule: f.message for f in ei.value.findings}
    assert sorted(by_rule) == ["unknown-component-class", "unknown-layer-type"]  # one per class, not per layer
    assert all(w in by_rule["unknown-layer-type"] for w in ("'Scale'", "'scale_a'", "'scale_b'", "register_layer"))
    assert "'HalfNorm'" in by_rule["unknown-component-class"] and "register_component" in by_rule[
        "unknown-component-class"]
    saved = tmp_path / "custom.keras"
    model.save(saved)
    r = run_cli("export", str(saved), "-o", str(tmp_path / "custom.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stdout == ""
    assert "unknown-layer-type" in r.stderr and "register_layer(Scale)" in r.stderr
    assert not (tmp_path / "custom.yaml").exists()
    with pf.register_layer(Scale), pf.register_component("constraint", HalfNorm):
        out = tmp_path / "registered.yaml"
        out.write_text(pf.export(model), encoding="utf-8")
        assert pf.validate(str(out)) == []
        assert signature(pf.build_model(str(out))) == signature(model)


def test_dict_inputs_and_outputs_are_listed_in_the_order_keras_flattens_them(tmp_path):
    inp = keras.Input((3,), name="x")
    model = keras.Model({"x": inp}, {"out": L.Dense(2, name="out")(inp), "aux": L.Dense(1, name="aux")(inp)})
    out = tmp_path / "dict.yaml"
    out.write_text(pf.export(model), encoding="utf-8")
    assert "were a dict" in out.read_text(encoding="utf-8")
    assert signature(pf.build_model(str(out))) == signature(model)


def shared_layer():
    dense, inp = L.Dense(4), keras.Input((4,))
    return keras.Model(inp, dense(dense(inp)))


def lambda_layer():
    inp = keras.Input((4,))
    return keras.Model(inp, L.Lambda(lambda t: t * 2)(inp))


def nested_model():
    inner = keras.Sequential([keras.Input((4,)), L.Dense(2)], name="inner")
    inp = keras.Input((4,))
    return keras.Model(inp, inner(inp))


def keras_operation():
    inp = keras.Input((4,))
    return keras.Model(inp, L.Dense(4)(inp) * 2.0)


def layer_with_states():
    inp = keras.Input((5, 3))
    out, h, c = L.LSTM(4, return_state=True)(inp)
    return keras.Model(inp, [out, h])


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x):
        return self.dense(x)


def subclassed():
    model = Subclassed()
    model(keras.ops.ones((1, 3)))
    return model


def operation_outside_the_list():
    inp = keras.Input((4,))
    x = L.Dense(4, name="d")(inp)
    return keras.Model(inp, keras.ops.cumsum(keras.ops.cumsum(x, axis=-1), axis=-1))


def nested_model_called_twice():
    inner = keras.Sequential([keras.Input((4,)), L.Dense(4)], name="inner")
    inp = keras.Input((4,))
    return keras.Model(inp, inner(inner(inp)))


@pytest.mark.parametrize("make,rule,words", [
    (lambda_layer, "layer-not-allowed", "'Lambda'"),
    (operation_outside_the_list, "export-unsupported", "Keras operation Cumsum"),
    (layer_with_states, "export-unsupported", "return_state"),
    (subclassed, "export-unsupported", "subclassed"),
])
def test_what_the_model_file_cannot_express_is_refused(make, rule, words):
    with pytest.raises(pf.InvalidInput) as ei:
        pf.export(make())
    assert any(f.rule == rule and words in f.message for f in ei.value.findings), ei.value


def test_a_saved_lambda_is_refused_without_running_it(tmp_path):
    model = lambda_layer()
    model.save(tmp_path / "lambda.keras")
    r = run_cli("export", str(tmp_path / "lambda.keras"))
    assert r.returncode == 2 and "layer-not-allowed" in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def write_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return str(path)


def test_the_reader_takes_only_a_bounded_keras_archive(tmp_path):
    h5 = tmp_path / "model.h5"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    r = run_cli("export", str(h5))
    assert r.returncode == 2 and "export-input" in r.stderr and "Traceback" not in r.stderr
    cases = {
        "no such file": str(tmp_path / "missing.keras"),
        "is a directory": str(tmp_path),
        "no config.json": write_zip(tmp_path / "a.keras", {"metadata.json": "{}"}),
        "not valid JSON": write_zip(tmp_path / "b.keras", {"config.json": "{not json"}),
        "more than the limit": write_zip(tmp_path / "c.keras", {"config.json": json.dumps({"pad": "x" * 5000})}),
    }
    for words, path in cases.items():
        with pytest.raises(InvalidInput) as ei:
            read_keras_config(path, ArchiveLimits(max_config_bytes=4096))
        ((f,),) = [ei.value.findings]
        assert f.rule == "export-input" and words in f.message, (words, f.message)


def test_the_output_is_checked_and_the_input_never_overwritten(tmp_path):
    saved = tmp_path / "seq.keras"
    small_sequential().save(saved)
    before = saved.read_bytes()
    for out, words in ((saved, "must end in .yaml"), (tmp_path / "missing" / "m.yaml", "no such folder")):
        r = run_cli("export", str(saved), "-o", str(out))
        assert r.returncode == 2 and words in r.stderr
    assert saved.read_bytes() == before
    renamed = tmp_path / "seq.yaml"  # a .keras archive under a .yaml name, exported onto itself
    renamed.write_bytes(before)
    r = run_cli("export", str(renamed), "-o", str(renamed))
    assert r.returncode == 2 and "is the input file" in r.stderr and renamed.read_bytes() == before
    r = run_cli("export", str(saved), "--policy", "stateless", "--seed", "7")
    assert r.returncode == 0
    data = load_text(r.stdout).value
    assert (data["policy"], data["seed"]) == ("stateless", 7)


def test_a_closed_stdout_stops_export_quietly(tmp_path):
    saved = tmp_path / "seq.keras"
    small_sequential().save(saved)
    p = subprocess.Popen([sys.executable, "-m", "policyfactory", "export", str(saved)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.close()  # like `policyfactory export m.keras | head -0`
    err = p.stderr.read()
    assert p.wait(timeout=120) == 141 and "Traceback" not in err, err


# -- the YAML written reads back exactly; malformed configs give findings, never tracebacks ------------------

@settings(max_examples=1000 if LONG else 200, deadline=None)
@given(st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none()))
def test_every_scalar_reads_back_unchanged(value):
    read = load_text("v: " + scalar(value) + "\n").value["v"]
    assert read == value or (value != value and read != read)  # NaN
    assert type(read) is type(value)


SEED_CONFIGS = [json.loads(json.dumps(keras.saving.serialize_keras_object(make())))
                for make in (two_input_rnn, small_sequential)]
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=5),
                   st.just([]), st.just({}), st.just(["dense", 0, 0]), st.just({"class_name": "__keras_tensor__"}))


def paths_of(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from paths_of(child, path + (key,))


@settings(max_examples=1500 if LONG else 150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_malformed_configs_give_findings_never_tracebacks(data):
    config = copy.deepcopy(data.draw(st.sampled_from(SEED_CONFIGS)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from([p for p in paths_of(config) if p]))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = copy.deepcopy(data.draw(VALUES))  # st.just gives one object each time
    try:
        exported = export_config(config, source="fuzz")
    except InvalidInput as exc:
        assert exc.findings and all(f.rule and f.message for f in exc.findings)
        return
    assert load_text(exported.text).value == exported.data


# -- what the functional API writes: operations, layers called again, nested models, applications' own layers ------

def siamese():
    """One Dense called on two inputs, `ops.abs(a - b) * 2.0` and `ops.concatenate`: the issue's example."""
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    enc = L.Dense(5, activation="tanh", name="enc")
    ea, eb = enc(a), enc(b)
    distance = keras.ops.abs(ea - eb) * 2.0
    joined = keras.ops.concatenate([distance, ea, 1.0 - eb], axis=-1)
    return keras.Model([a, b], L.Dense(1, name="score")(joined), name="siamese")


def test_a_layer_called_twice_and_operations_round_trip_as_one_layer_with_two_calls(tmp_path):
    keras.backend.clear_session()  # the operations' names below are Keras's first ones (another test's ops count up)
    model = siamese()
    rt = round_trip(model, str(tmp_path))
    assert rt.same, (rt.params, rt.outputs, rt.max_diff)
    assert rt.validate_findings == []
    text = (tmp_path / "siamese.yaml").read_text(encoding="utf-8")
    data = load_text(text).value
    assert [e.get("type") or e.get("op") or "call" for e in data["layers"]] == \
        ["Dense", "call", "subtract", "abs", "multiply", "subtract", "concatenate", "Dense"]
    assert {"call": "enc", "name": "enc_call", "inputs": ["b"]} in data["layers"]
    assert {"op": "multiply", "name": "multiply", "value": 2.0} in data["layers"]
    assert {"op": "subtract", "name": "subtract_1", "inputs": ["enc_call"], "value": 1.0, "value_first": True} \
        in data["layers"]
    enc = rt.built.get_layer("enc")  # one layer object, called twice, one set of weights
    assert len(enc._inbound_nodes) == 2 and [layer.name for layer in rt.built.layers].count("enc") == 1
    assert rt.built.count_params() == model.count_params() == 5 * 6 + 5 + 15 + 1
    explained = run_cli("explain", str(tmp_path / "siamese.yaml"))
    assert "layer 'enc' is called 2 times (one set of weights)" in explained.stdout
    assert [line.split()[0] for line in explained.stdout.splitlines()[4:]] == ["enc", "enc", "score", "score"]
    v = run_cli("validate", str(tmp_path / "siamese.yaml"))
    assert v.returncode == 0 and "2 layers, 5 operations, 1 layer called 2 times" in v.stdout, v.stdout


@pytest.mark.parametrize("name", ["MobileNetV3Small", "ConvNeXtTiny", "InceptionResNetV2"])
def test_applications_with_operations_nested_models_and_their_own_layers_round_trip(name, tmp_path):
    """MobileNetV3: hard-swish as operations; ConvNeXt: nested Sequential blocks, LayerScale, ops.add;
    InceptionResNetV2: CustomScaleLayer on a list. Same parameters, weight shapes, output shapes and outputs."""
    model = application(name)
    rt = round_trip(model, str(tmp_path))
    assert rt.params[0] == rt.params[1] and rt.weights[0] == rt.weights[1] and rt.outputs[0] == rt.outputs[1]
    assert rt.max_diff <= 1e-4, rt.max_diff
    model.save(tmp_path / f"{name}.keras")  # the command line reads the saved file to the same model file
    r = run_cli("export", str(tmp_path / f"{name}.keras"))
    assert r.returncode == 0, r.stderr
    assert body(r.stdout) == body((tmp_path / f"{model.name}.yaml").read_text(encoding="utf-8"))


def test_refusals_are_one_finding_per_cause_listing_its_places_names_quoted_once():
    inp = keras.Input((4,))
    x = inp
    for i in range(9):
        x = keras.ops.cumsum(L.Dense(4, name=f"d{i}")(x), axis=-1)
    with pytest.raises(pf.InvalidInput) as ei:
        pf.export(keras.Model(inp, x))
    (f,) = ei.value.findings
    assert "9 time(s)" in f.message and len(re.findall(r"'cumsum(_\d+)?'", f.message)) == 5 and "and 4 more" in f.message
    assert "''" not in f.message and "add, subtract, multiply" in f.message


def siamese_tower():
    """The other siamese form: a functional tower (with an operation inside) called on two inputs."""
    x = keras.Input((6,), name="x")
    h = keras.ops.relu(L.Dense(5, name="t_dense")(x)) * 0.5
    tower = keras.Model(x, L.Dense(3, name="t_out")(h), name="tower")
    a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
    return keras.Model([a, b], L.Dense(1, name="score")(keras.ops.abs(tower(a) - tower(b))), name="siamese_tower")


def sequential_in_sequential():
    block = keras.Sequential([L.Dense(5, activation="relu", name="b1"), L.Dense(3, name="b2")], name="block")
    return keras.Sequential([keras.Input((4,)), L.Dense(4, name="first"), block, L.Dense(1, name="last")],
                            name="outer")


@pytest.mark.parametrize("make", [shared_layer, nested_model, keras_operation, nested_model_called_twice,
                                  siamese_tower, sequential_in_sequential])
def test_what_the_format_once_refused_round_trips(make, tmp_path):
    """A layer called on its own output, a nested Sequential, `x * 2.0`: refused before operations, calls and
    nested models were written; now the same model."""
    rt = round_trip(make(), str(tmp_path))
    assert rt.same, (rt.params, rt.weights, rt.outputs, rt.max_diff)


def test_one_initializer_object_inside_and_outside_a_nested_model_is_one_shared_entry():
    he = keras.initializers.HeNormal()
    inner = keras.Sequential([keras.Input((4,)), L.Dense(4, kernel_initializer=he, name="inner_dense")], name="block")
    inp = keras.Input((4,), name="x")
    model = keras.Model(inp, L.Dense(2, kernel_initializer=he, name="head")(inner(inp)), name="nested_shared")
    data = load_text(pf.export(model)).value
    assert [e["name"] for e in data["layers"]] == ["inner_dense", "head"]  # the block's layer in its place
    ((name, decl),) = data["shared"].items()
    assert decl == {"initializer": "he_normal"}
    assert [f.rule for f in pf.validate(data)] == ["sharing-violation"]  # the sharing made visible


def test_the_audit_of_a_model_file_sees_a_layer_called_twice_as_one_layer(tmp_path):
    path = tmp_path / "siamese.yaml"
    path.write_text(pf.export(siamese()), encoding="utf-8")
    r = run_cli("audit", "--format", "json", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
