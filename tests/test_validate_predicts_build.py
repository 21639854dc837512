"""Hardening III: what `validate` passes, `build` builds, on the breadth of Keras.

Each case below was a model that `validate` passed and `build` refused. Argument knowledge now comes from probing
the installed Keras (scripts/probe_keras.py -> catalog.json), and validation follows input ranks, input counts and
channel counts where Keras's rules are known: each case is an `argument-value` (or `missing-argument`) finding at the
offending key, exit 2, through the real CLI.
"""

import keras
import pytest
from conftest import needs_tensorflow_here, run_cli

import policyfactory as pf

HEAD = "kind: model\nversion: 1\n"

def _keras_layer(spec: dict):
    """The Keras layer a layer entry (a dict, a wrapped `layer:` inside) makes."""
    spec = dict(spec)
    inner = spec.pop("layer", None)
    if inner is not None:
        spec["layer"] = _keras_layer(inner)
    return getattr(keras.layers, spec.pop("type"))(**spec)


def _validate_chain(write, shape, layers):
    """`policyfactory validate` of a model file: an input of `shape`, then `layers` (dicts) one after another."""
    import json

    return run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n"
                                             + "".join(f"  - {json.dumps(layer)}\n" for layer in layers)))


# (case, input shape, the layer as YAML flow mapping, rule, the key the finding sits at (None: the layer), words)
CASES = [
    ("kernel_size string", "[8, 8, 3]", '{type: Conv2D, filters: 2, kernel_size: "3"}', "argument-value",
     "kernel_size", "kernel_size"),
    ("strides string", "[8, 8, 3]", '{type: Conv2D, filters: 2, kernel_size: 3, strides: "2"}', "argument-value",
     "strides", "strides"),
    ("pool_size string", "[8, 8, 3]", '{type: MaxPooling2D, pool_size: "2"}', "argument-value", "pool_size",
     "pool_size"),
    ("Flatten data_format list", "[8, 3]", "{type: Flatten, data_format: [1]}", "argument-value", "data_format",
     "data_format"),
    ("kernel_size word", "[8, 8, 3]", "{type: Conv2D, filters: 2, kernel_size: sum}", "argument-value", "kernel_size",
     "kernel_size"),
    ("Dropout seed word", "[8]", "{type: Dropout, rate: 0.5, seed: valid}", "argument-value", "seed", "seed"),
    ("ReLU max_value word", "[8]", "{type: ReLU, max_value: x}", "argument-value", "max_value", "max_value"),
    ("Dense lora_rank word", "[8]", "{type: Dense, units: 2, lora_rank: x}", "argument-value", "lora_rank",
     "lora_rank"),
    ("BatchNormalization axis 5", "[8]", "{type: BatchNormalization, axis: 5}", "argument-value", "axis", "axis"),
    ("GroupNormalization on 8 channels", "[8]", "{type: GroupNormalization}", "argument-value", None, "divide"),
    ("CategoryEncoding without num_tokens", "[8]", "{type: CategoryEncoding}", "missing-argument", None,
     "num_tokens"),
    ("ActivityRegularization activity_regularizer", "[8]", "{type: ActivityRegularization, activity_regularizer: l2}",
     "argument-value", "activity_regularizer", "activity_regularizer"),
    ("orthogonal bias", "[8]", "{type: Dense, units: 2, bias_initializer: orthogonal}", "argument-value",
     "bias_initializer", "Orthogonal"),
    ("identity bias", "[8]", "{type: Dense, units: 2, bias_initializer: identity}", "argument-value",
     "bias_initializer", "Identity"),
    ("Attention on one input", "[4, 8]", "{type: Attention}", "argument-value", None, "two or more inputs"),
    ("LSTMCell as a layer", "[4, 8]", "{type: LSTMCell, units: 2}", "argument-value", None, "cell"),
    ("Reshape target_shape int", "[8]", "{type: Reshape, target_shape: 4}", "argument-value", "target_shape",
     "target_shape"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_what_build_refuses_validate_refuses_at_the_key(write, case):
    _, shape, layer, rule, key, words = case
    text = HEAD + f"input: {{shape: {shape}}}\nlayers:\n  - {layer}\n"
    path = write("m.yaml", text)
    r = run_cli("validate", path)
    assert r.returncode == 2, r.stdout + r.stderr
    lines = [ln for ln in r.stdout.splitlines() if f"error {rule}:" in ln]
    assert lines, r.stdout
    line = lines[0]
    assert line.startswith(f"{path}:5:"), line
    column = int(line.split(":")[2])
    # the finding sits at the offending key's value, or at the layer (rank, inputs, channels, a needed argument)
    expected = layer.index(key + ":") + len(key) + 7 if key else 5
    assert column == expected, (line, expected)
    assert words in line, line
    assert "Traceback" not in r.stderr


def test_a_right_value_of_each_case_still_validates(write):
    """The knowledge refuses the wrong value, not the argument: the same layers with values Keras takes pass."""
    good = [("[8, 8, 3]", "{type: Conv2D, filters: 2, kernel_size: 3, strides: 2, padding: same}"),
            ("[8, 8, 3]", "{type: MaxPooling2D, pool_size: [2, 2]}"), ("[8, 3]", "{type: Flatten, data_format: channels_last}"),
            ("[8]", "{type: Dropout, rate: 0.5, seed: 3}"), ("[8]", "{type: ReLU, max_value: 6}"),
            ("[8]", "{type: Dense, units: 2, lora_rank: 2, bias_initializer: zeros}"),
            ("[8]", "{type: BatchNormalization, axis: -1}"), ("[8]", "{type: GroupNormalization, groups: 4}"),
            ("[8]", "{type: CategoryEncoding, num_tokens: 9}"), ("[8]", "{type: ActivityRegularization, l2: 0.1}"),
            ("[4, 8]", "{type: RNN, cell: {type: LSTMCell, units: 2}}"), ("[8]", "{type: Reshape, target_shape: [2, 4]}")]
    paths = [write(f"ok{i}.yaml", HEAD + f"input: {{shape: {shape}}}\nlayers:\n  - {layer}\n")
             for i, (shape, layer) in enumerate(good)]
    r = run_cli("validate", *paths)
    assert r.returncode == 0, r.stdout + r.stderr


def test_max_params_counts_normalization_weights(write):
    """A 111-byte file with one BatchNormalization on 300,000,000 features: validate refuses it (build took 7.9 GB)."""
    path = write("big.yaml", HEAD + "input: {shape: [300000000]}\nlayers:\n  - {type: BatchNormalization}\n")
    r = run_cli("validate", path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "limit-params" in r.stdout and "1,200,000,000" in r.stdout, r.stdout


# Models Keras refuses only from what flows between layers: a width known through a probed layer, an output that is
# the input itself, merged shapes, the layers inside a Pipeline. (name, model body, words in the finding)
FLOW_CASES = [
    ("Equalization returns its input", "input: {shape: [2, 6, 6, 2]}\nlayers:\n  - {type: Equalization}\n",
     "returned unchanged"),
    ("Equalization after Flatten", "input: {shape: [4, 3, 6]}\nlayers:\n  - {type: Flatten}\n"
                                   "  - {type: Equalization}\n", "part of a cycle"),
    ("width through IntegerLookup", "input: {shape: [2]}\nlayers:\n  - {type: IntegerLookup}\n"
                                    "  - {type: Reshape, target_shape: [4]}\n", "target_shape"),
    ("groups after Dense", "input: {shape: [4]}\nlayers:\n  - {type: Dense, units: 6}\n"
                           "  - {type: GroupNormalization, groups: 4}\n", "divide"),
    ("Add of two shapes", "inputs:\n  a: {shape: [4]}\n  b: {shape: [5]}\nlayers:\n"
                          "  - {type: Add, name: s, inputs: [a, b]}\noutputs: [s]\n", "differ in shape"),
    ("rank inside a Pipeline", "input: {shape: [4, 8]}\nlayers:\n  - type: Pipeline\n    layers:\n"
                               "      - {type: GlobalAveragePooling1D}\n      - {type: LSTM, units: 2}\n", "axes"),
]


@pytest.mark.parametrize("case", FLOW_CASES, ids=[c[0] for c in FLOW_CASES])
def test_what_flows_between_layers_is_checked(write, case):
    _, body, words = case
    path = write("m.yaml", HEAD + body)
    r = run_cli("validate", path)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "error argument-value:" in r.stdout and words in r.stdout, r.stdout
    assert "Traceback" not in r.stderr


def test_what_flows_rightly_still_validates_and_builds(write):
    """The same flows where Keras builds them: validate passes and build builds (no false refusal)."""
    import keras

    import policyfactory as pf

    good = ["input: {shape: [2, 6, 6, 2]}\nlayers:\n  - {type: Equalization}\n  - {type: Dense, units: 2}\n",
            "input: {shape: [2]}\nlayers:\n  - {type: IntegerLookup}\n  - {type: Reshape, target_shape: [2, 1]}\n",
            "input: {shape: [4]}\nlayers:\n  - {type: Dense, units: 6}\n  - {type: GroupNormalization, groups: 3}\n",
            "inputs:\n  a: {shape: [4]}\n  b: {shape: [1]}\nlayers:\n  - {type: Add, name: s, inputs: [a, b]}\n"
            "outputs: [s]\n",
            "input: {shape: [4, 8]}\nlayers:\n  - type: Pipeline\n    layers:\n"
            "      - {type: LSTM, units: 2, return_sequences: true}\n      - {type: GlobalAveragePooling1D}\n"]
    good = [body for body in good if not needs_tensorflow_here("IntegerLookup") or "IntegerLookup" not in body]
    paths = [write(f"ok{i}.yaml", HEAD + body) for i, body in enumerate(good)]
    r = run_cli("validate", *paths)
    assert r.returncode == 0, r.stdout + r.stderr
    for path in paths:
        assert isinstance(pf.build_model(path), keras.Model)


# -- from the new-user trial: models Keras builds are never refused, merges Keras refuses are -------------------

BUILT_BY_KERAS = {
    "permute.yaml": "input: {shape: [3, 2]}\nlayers:\n  - {type: Permute, dims: [2, 1]}\n",
    "normalization.yaml": "input: {shape: [4, 5]}\nlayers:\n  - {type: Normalization, axis: [1, 2]}\n",
    "lookup.yaml": "inputs: {x: {shape: [3], dtype: int64}}\nlayers:\n"
                   "  - {type: IntegerLookup, name: l, vocabulary: [10, 20, 30]}\noutputs: [l]\n",
    "concat.yaml": "inputs: {a: {shape: [4, 16]}, b: {shape: [5, 16]}}\nlayers:\n"
                   "  - {type: Concatenate, name: c, axis: 1, inputs: [a, b]}\noutputs: [c]\n",
}


def test_argument_lists_whose_length_keras_takes_are_not_refused(tmp_path):
    """Permute's dims, Normalization's axis and IntegerLookup's vocabulary of any length pass and build: a list
    length the probes saw refused in one context is not a refusal."""
    paths = []
    for name, body in BUILT_BY_KERAS.items():
        if "IntegerLookup" in body and needs_tensorflow_here("IntegerLookup"):
            continue  # refused by validate on this backend (backend-layer), as build would
        (tmp_path / name).write_text("kind: model\nversion: 1\n" + body)
        paths.append(str(tmp_path / name))
    r = run_cli("validate", *paths)
    assert r.returncode == 0, r.stdout
    for path in paths:
        assert pf.build_model(path) is not None


@pytest.mark.parametrize("shapes", [("[4, 16]", "[8]"), ("[4, 16]", "[5, 16]")])
def test_a_concatenation_keras_refuses_is_refused(write, shapes):
    path = write("m.yaml", f"kind: model\nversion: 1\ninputs: {{a: {{shape: {shapes[0]}}}, b: {{shape: {shapes[1]}}}}}\n"
                           "layers:\n  - {type: Concatenate, name: c, inputs: [a, b]}\noutputs: [c]\n")
    r = run_cli("validate", path)
    assert r.returncode == 2 and f"{path}:5:" in r.stdout and "Concatenate" in r.stdout, r.stdout
    a = keras.Input(tuple(int(d) for d in shapes[0].strip("[]").split(",")))
    b = keras.Input(tuple(int(d) for d in shapes[1].strip("[]").split(",")))
    with pytest.raises(ValueError):
        keras.layers.Concatenate()([a, b])


CROPPINGS = ([("Cropping1D", [5, 3], c) for c in (1, 2, 3, [1, 3], [2, 2], [0, 4], [4, 0])]
             + [("Cropping2D", [4, 6, 3], c) for c in (1, 2, 3, [1, 2], [2, 3], [[1, 2], [0, 3]], [[0, 0], [3, 3]])]
             + [("Cropping3D", [2, 2, 4, 3], c) for c in (0, 1, 3, [0, 0, 1], [1, 0, 0], [[0, 1], [0, 0], [1, 2]])])


@pytest.mark.parametrize(("layer_type", "shape", "cropping"), CROPPINGS)
def test_a_cropping_that_leaves_nothing_is_refused_as_keras_refuses_it(layer_type, shape, cropping):
    """Found by make fuzz (Cropping3D cropping 3 on a 2-long axis): validate's verdict equals Keras's on each case."""
    from policyfactory.core.params import window_problem

    try:
        getattr(keras.layers, layer_type)(cropping=cropping)(keras.Input(tuple(shape)))
        keras_builds = True
    except ValueError:
        keras_builds = False
    assert (window_problem(layer_type, {"cropping": cropping}, shape) is None) == keras_builds


@pytest.mark.parametrize(("shape", "shared_axes"), [((2,), a) for a in (0, 1, 2, -1, [1], [2])]
                         + [((3, 4), a) for a in (1, 2, 3, [1, 2], [1, 3], -1)])
def test_prelu_shared_axes_are_judged_as_keras_builds_them(shape, shared_axes):
    """Found by make fuzz (PReLU shared_axes 2 after a SimpleRNN): validate's verdict equals Keras's on each case."""
    from policyfactory.core.layerinfo import axis_problem

    try:
        keras.layers.PReLU(shared_axes=shared_axes)(keras.Input(shape))
        keras_builds = True
    except (ValueError, IndexError):
        keras_builds = False
    assert (axis_problem("PReLU", {"shared_axes": shared_axes}, len(shape)) is None) == keras_builds


def test_a_list_holding_a_number_keras_refuses_there_is_refused_as_keras_refuses_it():
    """Found by make fuzz (RandomColorJitter factor: [2, 2]): every list of two numbers validate refuses by its
    elements, over the whole catalog, Keras refuses too, where the same list of an accepted number constructs."""
    import importlib

    from policyfactory.core.catalog import catalog
    from policyfactory.core.layerinfo import _NUMBER_KEYS, probe, value_problem

    numbers = {"int:-1": -1, "int:0": 0, "int:1": 1, "int:2": 2, "int:3": 3, "int:8": 8, "float:-0.5": -0.5,
               "float:0": 0.0, "float:0.5": 0.5, "float:1": 1.0, "float:1.5": 1.5}
    assert set(numbers) == set(_NUMBER_KEYS)
    checked = 0
    for name, lt in catalog().layers.items():
        cls = getattr(keras.layers, name, None) or getattr(importlib.import_module(lt.module), name)
        required = dict.fromkeys(lt.required, 2)
        for arg, refused in probe(name).get("refused", {}).items():
            for v in numbers.values():
                problem = value_problem(name, arg, [v, v])
                if problem is None or "it refuses" not in problem:
                    continue
                accepted = [numbers[k] for k in numbers if k not in refused]
                if not any(_constructs(cls, {**required, arg: [a, a]}) for a in accepted):
                    continue  # nothing of that shape constructs with these required arguments: no comparison
                assert not _constructs(cls, {**required, arg: [v, v]}), (name, arg, v)
                checked += 1
    assert checked >= 100
    assert value_problem("RandomColorJitter", "brightness_factor", [0.2, 0.5]) is None


def _constructs(cls, kwargs) -> bool:
    try:
        cls(**kwargs)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("args", [{"bin_boundaries": [0.0, 1.0]}, {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"},
                                  {"bin_boundaries": [0.0, 1.0], "num_bins": 3}, {}, {"output_mode": "count"},
                                  {"bin_boundaries": 2.0}, {"bin_boundaries": "a"}, {"bin_boundaries": []},
                                  {"num_bins": 3, "sparse": True}, {"num_bins": 3, "sparse": True, "output_mode": "one_hot"},
                                  {"num_bins": 3, "sparse": True, "output_mode": "multi_hot"},
                                  {"bin_boundaries": [1, 2], "sparse": True, "output_mode": "count"}])
def test_discretization_takes_num_bins_or_bin_boundaries_and_sparse_beside_its_output_mode(write, args):
    """Found trying the backends (issue 23): the probe built Discretization with num_bins, so it saw every
    bin_boundaries refused (Keras takes one of the two) and sparse: true refused (Keras takes it with output_mode
    one_hot, multi_hot or count). validate's verdict, for the backend running here, equals Keras's on each case
    (on PyTorch, sparse: true is refused whatever the output_mode: a backend-layer finding)."""
    import json

    import numpy as np

    try:
        layer = keras.layers.Discretization(**args)
        layer(keras.Input((3,)))
        if args.get("bin_boundaries") is not None:  # ready to run (num_bins waits for adapt()): run it on data
            layer(np.ones((2, 3), "float32"))
        keras_builds = True
    except (ValueError, TypeError, RuntimeError):  # RuntimeError: PyTorch's refusal of a bad boundary list
        keras_builds = False
    layer = json.dumps({"type": "Discretization", **args})
    r = run_cli("validate", "--backend", keras.backend.backend(),
                write("d.yaml", f"{HEAD}name: d\ninput: {{shape: [3]}}\nlayers:\n  - {layer}\n"))
    assert (r.returncode == 0) == keras_builds, r.stdout


@pytest.mark.parametrize(("layers", "fed_by_a_layer"), [
    ("  - {type: RandomShear, y_factor: 0.1}\n  - {type: Equalization, value_range: [0, 255]}\n"
     "  - {type: MaxPooling1D}\n", True),
    ("  - {type: Equalization, value_range: [0, 255]}\n  - {type: MaxPooling1D}\n", False),
    ("  - {type: Dense, units: 3}\n  - {type: Equalization, value_range: [0, 255], activity_regularizer: l2}\n"
     "  - {type: Dense, units: 2}\n", True)])
def test_equalization_is_refused_where_keras_finds_a_cycle(write, layers, fed_by_a_layer):
    """Found by make fuzz (seed 132690): Equalization returns the tensor it is given, and Keras then records it as
    Equalization's output; a tensor another layer made is then part of a cycle and the model is refused. Given a
    model input it builds. validate's verdict equals Keras's, and the finding is at the Equalization entry."""
    import yaml

    def keras_builds():
        inp = x = keras.Input((2, 3))
        for spec in yaml.safe_load(layers):
            spec = dict(spec)
            x = getattr(keras.layers, spec.pop("type"))(**spec)(x)
        try:
            keras.Model(inp, x)
            return True
        except ValueError:
            return False

    assert keras_builds() is not fed_by_a_layer
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [2, 3]}}\nlayers:\n{layers}"))
    assert (r.returncode == 2) is fed_by_a_layer, r.stdout
    if fed_by_a_layer:
        assert "m.yaml:7:5: error argument-value: Equalization" in r.stdout and "cycle" in r.stdout


@pytest.mark.parametrize(("shape", "layers", "line"), [
    ([3], "  - {type: Dense, units: 4}\n  - {type: Reshape, target_shape: [4]}\n  - {type: MaxPooling1D}\n", 8),
    ([4, 3, 8], "  - {type: ZeroPadding2D}\n  - {type: Reshape, target_shape: [2, 2]}\n", 7)])
def test_a_reshape_and_a_padding_pass_on_the_shape_they_make(write, shape, layers, line):
    """Found by make fuzz (seeds 239 and 48): after a Reshape validate did not know the rank, and after a
    ZeroPadding2D the shape, so a MaxPooling1D on a 1-axis tensor and a Reshape that cannot hold 6x5x8 validated.
    Keras refuses both; validate now does, at the layer that refuses."""
    import yaml

    inp = x = keras.Input(tuple(shape))
    with pytest.raises(ValueError):
        for spec in yaml.safe_load(layers):
            spec = dict(spec)
            x = getattr(keras.layers, spec.pop("type"))(**spec)(x)
        keras.Model(inp, x)
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n{layers}"))
    assert r.returncode == 2 and f"m.yaml:{line}:" in r.stdout and "argument-value" in r.stdout, r.stdout


@pytest.mark.parametrize(("value_range", "keras_takes"), [("l2", False), ([0, 1], True), ([1], False)])
def test_value_range_is_a_pair_of_numbers_where_the_probe_could_not_tell(write, value_range, keras_takes):
    """Found by make fuzz (seed 172): RandomColorJitter reads value_range only in the sublayers its factors make, so
    the probe (no factor) saw every value pass and `value_range: l2` validated. Keras refuses it with a factor."""
    import json

    try:
        keras.layers.RandomColorJitter(value_range=value_range, saturation_factor=0.5)(keras.Input((4, 4, 3)))
        built = True
    except (ValueError, TypeError):
        built = False
    assert built is keras_takes
    layer = json.dumps({"type": "RandomColorJitter", "value_range": value_range, "saturation_factor": 0.5})
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [4, 4, 3]}}\nlayers:\n  - {layer}\n"))
    assert (r.returncode == 0) is keras_takes, r.stdout


@pytest.mark.parametrize(("layer", "shape"), [
    ({"type": "MaxPooling2D", "padding": [3, 1]}, [4, 3, 4]), ({"type": "MaxPooling2D", "padding": 1}, [4, 4, 3]),
    ({"type": "Conv2D", "filters": 2, "kernel_size": 1, "padding": [1, 1]}, [4, 4, 3]),
    ({"type": "AveragePooling1D", "padding": 0.5}, [4, 3])])
def test_a_window_layers_padding_is_a_word(write, layer, shape):
    """Found by make fuzz (seed 35): Keras makes a pooling or convolution layer with a number or a list as its
    padding and refuses it when called, so the probe (which made it) saw them pass. Keras refuses each; so does
    validate, naming the words it takes."""
    import json

    spec = dict(layer)
    with pytest.raises((ValueError, TypeError)):
        getattr(keras.layers, spec.pop("type"))(**spec)(keras.Input(tuple(shape)))
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n  - {json.dumps(layer)}\n"))
    assert r.returncode == 2 and "'padding' of" in r.stdout and "must be one of" in r.stdout, r.stdout


@pytest.mark.parametrize(("layer", "shape"), [
    ({"type": "GlobalMaxPooling1D", "keepdims": True}, [2, 3, 4, 4]),
    ({"type": "GlobalAveragePooling2D", "keepdims": True}, [4, 3]),
    ({"type": "LSTM", "units": 2, "return_sequences": True}, [3, 4, 5])])
def test_an_argument_that_changes_the_rank_returned_leaves_the_ranks_taken_judged(write, layer, shape):
    """Found by make fuzz (seed 1077): keepdims (and an RNN's return_sequences) change the rank a layer returns, so
    validate stopped judging the rank it takes, and passed GlobalMaxPooling1D(keepdims=True) on an input of 4 axes.
    Keras refuses each of these; so does validate."""
    import json

    spec = dict(layer)
    with pytest.raises(ValueError):
        getattr(keras.layers, spec.pop("type"))(**spec)(keras.Input(tuple(shape)))
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n  - {json.dumps(layer)}\n"))
    assert r.returncode == 2 and "besides the batch axis" in r.stdout, r.stdout


@pytest.mark.parametrize("hashing", [{"num_bins": 4, "salt": [1, 2]}, {"num_bins": 4, "mask_value": [1, 1]}])
def test_hashing_with_a_list_returns_the_rank_it_takes(write, hashing):
    """Found by make fuzz (seed 507): after Hashing given a list (salt, mask_value) validate did not know the rank,
    so GlobalAveragePooling1D on what it returned (3 axes) validated. Keras returns the input's shape; validate
    now refuses the pooling as Keras does."""
    import json

    if needs_tensorflow_here("Hashing"):
        pytest.skip("Hashing needs TensorFlow: on this backend validate refuses it (backend-layer)")
    assert tuple(keras.layers.Hashing(**hashing)(keras.Input((8, 8, 3))).shape) == (None, 8, 8, 3)
    with pytest.raises(ValueError):
        keras.layers.GlobalAveragePooling1D()(keras.Input((8, 8, 3)))
    layers = [{"type": "Hashing", **hashing}, {"type": "GlobalAveragePooling1D"}]
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [8, 8, 3]}}\nlayers:\n"
                                          + "".join(f"  - {json.dumps(layer)}\n" for layer in layers)))
    assert r.returncode == 2 and "GlobalAveragePooling1D takes inputs of 2 axes" in r.stdout, r.stdout


@pytest.mark.parametrize(("first", "shape"), [
    ({"type": "ConvLSTM2D", "filters": 4, "kernel_size": [2, 2]}, [6, 3, 2, 8]),
    ({"type": "Conv2D", "filters": 2, "kernel_size": 1, "strides": [1, 1]}, [4, 4, 3]),
    ({"type": "MaxPooling2D", "pool_size": [2, 2]}, [4, 4, 3])])
def test_a_window_given_as_a_list_keeps_the_rank_known(write, first, shape):
    """Found by make fuzz (seed 103): after ConvLSTM2D(kernel_size=[2, 2]) validate did not know the rank, so a
    ConvLSTM3D on its 3 axes validated. A window's sizes as a list return the rank one number does (checked
    against Keras); the layer after is judged, and refused as Keras refuses it."""
    out = _keras_layer(first)(keras.Input(tuple(shape)))
    with pytest.raises(ValueError):
        keras.layers.ConvLSTM3D(filters=3, kernel_size=2)(out)
    r = _validate_chain(write, shape, [first, {"type": "ConvLSTM3D", "filters": 3, "kernel_size": 2}])
    assert r.returncode == 2 and "ConvLSTM3D takes inputs of 5 axes" in r.stdout, r.stdout


@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras's own, about the Pipeline it refuses
@pytest.mark.parametrize("inner", [{"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4}, {"type": "Add"}])
def test_a_pipeline_calls_each_layer_on_one_tensor(write, inner):
    """Found by make fuzz (seed 913): Keras's Pipeline calls each of its layers with the one tensor before it, so
    an attention layer (query and value) or a merge (a list) in it fails where the same layer outside, which the
    build calls with its input twice or as a list, works. validate said so of a merge only; now of attention too."""
    import json

    spec = dict(inner)
    with pytest.raises(Exception):  # noqa: B017 - Keras raises its own errors of several types here
        keras.layers.Pipeline([getattr(keras.layers, spec.pop("type"))(**spec)])(keras.Input((4, 8)))
    layer = {"type": "Pipeline", "layers": [{"type": "Dropout", "rate": 0.1}, inner]}
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [4, 8]}}\nlayers:\n  - {json.dumps(layer)}\n"))
    assert r.returncode == 2 and "Pipeline calls its layers on one tensor, and Keras calls" in r.stdout, r.stdout


@pytest.mark.filterwarnings("ignore::UserWarning")  # Keras's own, about the Pipeline it refuses
@pytest.mark.parametrize(("inner", "shape"), [
    ({"type": "RandomFlip"}, [4, 4, 4, 3]), ({"type": "RandomFlip"}, [4, 4, 3]),
    ({"type": "Resizing", "height": 2, "width": 2}, [4, 4, 4, 3]),
    ({"type": "AdaptiveAveragePooling2D", "output_size": 2}, [4, 3]),
    ({"type": "RandomCrop", "height": 2, "width": 2}, [4, 4, 3]),
    ({"type": "Discretization", "num_bins": 2}, [4]), ({"type": "Discretization", "bin_boundaries": [0.0, 1.0]}, [4]),
    ({"type": "TimeDistributed", "layer": {"type": "RandomFlip"}}, [2, 4, 4, 4, 3]),
    ({"type": "TimeDistributed", "layer": {"type": "RandomFlip"}}, [2, 4, 4, 3]),
    ({"type": "RandomGrayscale"}, [8, 8, 3]),  # 1 or 3 channels there: a rank is taken when some count is
])
def test_a_pipeline_calls_its_layers_in_training_mode(write, inner, shape):
    """Found by make fuzz (seed 5063): Keras's Pipeline calls its layers in training mode and traces them, where a
    random augmentation takes only image ranks (some layers none at all), and which ranks differs between
    TensorFlow, JAX and PyTorch (the catalog measured each). Called directly, the same layers take ranks 1 to 5.
    validate says what Keras does on the backend this test runs on, at the inner layer's line."""
    import json

    try:
        keras.layers.Pipeline([keras.layers.Dropout(0.1), _keras_layer(inner)])(keras.Input(tuple(shape)))
        refused = False
    except Exception:  # Keras raises its own errors of several types here
        refused = True
    layer = {"type": "Pipeline", "layers": [{"type": "Dropout", "rate": 0.1}, inner]}
    path = write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n  - type: Pipeline\n    layers:\n"
                           f"      - {json.dumps(layer['layers'][0])}\n      - {json.dumps(inner)}\n")
    r = run_cli("validate", "--backend", keras.backend.backend(), path)
    if refused:
        assert r.returncode == 2 and f"{path}:9:" in r.stdout, r.stdout  # the inner layer's line
        assert "error argument-value" in r.stdout and "inside a Pipeline" in r.stdout, r.stdout
    else:
        assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("output_size", [[2, 2], 2])
def test_a_list_the_probe_called_with_keeps_the_rank_known(write, output_size):
    """Found by make fuzz (seed 3971): AdaptiveMaxPooling2D(output_size=[2, 2]) left the rank it returns unknown, so
    a ConvLSTM3D after it validated. The probe calls each argument with lists and compares the ranks returned
    (`called_lists`); a list there returns the rank a number does, and the layer after is judged."""
    pool = {"type": "AdaptiveMaxPooling2D", "output_size": output_size, "data_format": "channels_first"}
    with pytest.raises(ValueError):
        keras.layers.ConvLSTM3D(filters=4, kernel_size=2)(_keras_layer(pool)(keras.Input((2, 6))))
    r = _validate_chain(write, [2, 6], [pool, {"type": "ConvLSTM3D", "filters": 4, "kernel_size": 2}])
    assert r.returncode == 2 and "ConvLSTM3D takes inputs of 5 axes" in r.stdout, r.stdout


def test_a_list_keras_takes_only_in_some_values_is_still_called_for_its_rank(write):
    """Found by make fuzz (seed 26714): Solarization(value_range=[0, 1]) left the rank it returns unknown, so a
    SeparableConv2D after it on 2 axes validated. The probe did not call the layer with value_range lists (the
    number 1 is refused there, so a refusal when called would say nothing of lists); it now calls them for the rank
    they return alone."""
    out = keras.layers.Solarization(value_range=[0, 1])(keras.Input((8, 6)))
    with pytest.raises(ValueError):
        keras.layers.SeparableConv2D(filters=2, kernel_size=1)(out)
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [8, 6]}}\nlayers:\n"
                                          "  - {type: Solarization, value_range: [0, 1]}\n"
                                          "  - {type: SeparableConv2D, filters: 2, kernel_size: 1}\n"))
    assert r.returncode == 2 and "SeparableConv2D takes inputs of 3 axes" in r.stdout, r.stdout


@pytest.mark.parametrize(("pool", "shape"), [
    ({"type": "AdaptiveMaxPooling2D", "output_size": 1}, [8, 4]),
    ({"type": "AdaptiveAveragePooling2D", "output_size": [1, 1], "data_format": "channels_last"}, [8, 6, 4]),
    ({"type": "AdaptiveMaxPooling2D", "output_size": 1, "data_format": "channels_first"}, [4, 8, 6])])
def test_adaptive_pooling_passes_on_the_shape_it_makes(write, pool, shape):
    """Found by make fuzz (seed 32775): AdaptiveMaxPooling2D(output_size=1) makes (1, 1, channels) on an input of
    any rank, too small for the kernel of a ConvLSTM1D after it; validate did not know the shape it makes."""
    out = _keras_layer(pool)(keras.Input(tuple(shape)))
    with pytest.raises(ValueError):
        keras.layers.ConvLSTM1D(filters=2, kernel_size=2)(out)
    r = _validate_chain(write, shape, [pool, {"type": "ConvLSTM1D", "filters": 2, "kernel_size": 2}])
    assert r.returncode == 2 and "layer 'conv_lstm1d' (ConvLSTM1D)" in r.stdout, r.stdout


def test_adaptive_pooling_takes_an_input_smaller_than_its_output_and_convlstm_a_window_that_fits(write):
    """Adaptive pooling has no window (it was judged as a 2-wide pool: a 1 x 1 input refused); a ConvLSTM's kernel
    slides over each step's axes, judged as its convolution's (a kernel of 1 fits anything)."""
    keras.layers.ConvLSTM1D(filters=2, kernel_size=1)(
        keras.layers.AdaptiveMaxPooling2D(output_size=2)(keras.Input((1, 1, 4))))
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [1, 1, 4]}}\nlayers:\n"
                                          "  - {type: AdaptiveMaxPooling2D, output_size: 2}\n"
                                          "  - {type: ConvLSTM1D, filters: 2, kernel_size: 1}\n"))
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize(("layer", "shape", "arg", "keras_takes"), [
    ({"type": "Dropout", "rate": 0.5, "noise_shape": [0, 1]}, [4, 4], "noise_shape", False),
    ({"type": "Dropout", "rate": 0.5, "noise_shape": [-2, 4]}, [4, 4], "noise_shape", False),
    ({"type": "Dropout", "rate": 0.5, "noise_shape": [None, 1, 4]}, [4, 4], "noise_shape", True),
    ({"type": "Dropout", "rate": 0.5, "noise_shape": [0.5, 1]}, [4, 4], "noise_shape", False),
    ({"type": "Dropout", "rate": 0.5, "noise_shape": [1.0, 1.0]}, [4, 4], "noise_shape", False),
    ({"type": "Conv1D", "filters": 2, "kernel_size": [0]}, [4, 4], "kernel_size", False),
])
def test_a_number_keras_refuses_inside_a_list_is_refused_at_the_key(write, layer, shape, arg, keras_takes):
    """Found by make fuzz (seed 14983): Dropout(noise_shape=[0, 1]) validated; Keras wants positive sizes there.
    The probe now makes each list-taking argument with 0, -1 and 0.5 in a list of ones (`refused_elements`)."""
    try:
        _keras_layer(layer)(keras.Input(tuple(shape)))
        took = True
    except ValueError:
        took = False
    assert took == keras_takes
    r = _validate_chain(write, shape, [layer])
    if keras_takes:
        assert r.returncode == 0, r.stdout
    else:
        assert r.returncode == 2 and "m.yaml:6:53: error argument-value" in r.stdout and f"'{arg}'" in r.stdout, r.stdout


def test_permute_passes_on_the_axes_it_orders(write):
    """From benchmarks/bench_differential.py (seed 1000000093): after Permute(dims=[2, 1]) validate did not know the
    rank (the probe made Permute with dims [1], callable on one axis only), so a ZeroPadding2D on its 2 axes
    validated. Permute returns its input's axes in the order dims gives them."""
    out = keras.layers.Permute((2, 1))(keras.Input((3, 6)))
    assert tuple(out.shape[1:]) == (6, 3)
    with pytest.raises(ValueError):
        keras.layers.ZeroPadding2D()(out)
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [3, 6]}}\nlayers:\n"
                                          "  - {type: Permute, dims: [2, 1]}\n  - {type: ZeroPadding2D}\n"))
    assert r.returncode == 2 and "ZeroPadding2D takes inputs of 3 axes" in r.stdout, r.stdout
    r = run_cli("validate", write("ok.yaml", f"{HEAD}name: m\ninput: {{shape: [3, 6]}}\nlayers:\n"
                                           "  - {type: Permute, dims: [2, 1]}\n  - {type: Conv1D, filters: 2, kernel_size: 6}\n"))
    assert r.returncode == 0, r.stdout  # 6 steps after the permutation: a window of 6 fits
    keras.layers.Conv1D(2, 6)(out)


def test_a_negative_fraction_keras_refuses_when_called_is_refused(write):
    """From benchmarks/bench_differential.py (seed 1000002746): LayerScale(projection_dim=-0.5) is made and refused
    when called. The probe calls negative fractions too where it calls the number 1 (a fraction refused there is
    a type Keras refuses)."""
    from keras.src.applications.convnext import LayerScale

    with pytest.raises(Exception):  # noqa: B017 - Keras's own error type for a bad shape
        LayerScale(init_values=0.1, projection_dim=-0.5)(keras.Input((4, 3)))
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [4, 3]}}\nlayers:\n"
                                          "  - {type: LayerScale, init_values: 0.1, projection_dim: -0.5}\n"))
    assert r.returncode == 2 and "m.yaml:6:58: error argument-value" in r.stdout and "projection_dim" in r.stdout, r.stdout


@pytest.mark.parametrize(("layer", "shape"), [
    ({"type": "Resizing", "height": 2, "width": 1}, [8]), ({"type": "Resizing", "height": 2, "width": 1}, [8, 3]),
    ({"type": "Resizing", "height": 2, "width": 1, "interpolation": [1]}, [8]),
    ({"type": "Resizing", "height": 2, "width": 1, "data_format": "channels_first"}, [8, 3])])
def test_image_size_layers_make_the_shape_keras_makes_on_any_rank(write, layer, shape):
    """Found by make fuzz (seed 3701513): Resizing(height=2, width=1) on an input of one axis makes (1,) (width),
    on (8, 3) makes (1, 3): a GroupNormalization after it has too few channels for its 32 groups. Keras's shapes on
    ranks other than an image's are measured by the probe (`sized`), not written here."""
    with pytest.raises(ValueError):
        keras.layers.GroupNormalization()(_keras_layer(layer)(keras.Input(tuple(shape))))
    r = _validate_chain(write, shape, [layer, {"type": "GroupNormalization"}])
    assert r.returncode == 2 and "m.yaml:7:" in r.stdout, r.stdout


@pytest.mark.parametrize(("shape", "inner", "after", "keras_takes"), [
    ([8, 8, 3], [{"type": "Resizing", "height": 2, "width": 2}], {"type": "Conv2D", "filters": 2, "kernel_size": 3}, False),
    ([8, 8, 3], [{"type": "Resizing", "height": 4, "width": 4}], {"type": "Conv2D", "filters": 2, "kernel_size": 3}, True),
    ([2, 2, 3], [{"type": "Conv2D", "filters": 2, "kernel_size": 3}], None, False),
    ([8, 3], [{"type": "Cropping1D", "cropping": 5}], None, False),
    ([8, 8, 3], [{"type": "Resizing", "height": 2, "width": 6}], {"type": "Reshape", "target_shape": [36]}, True),
])
def test_shapes_are_followed_into_and_out_of_a_pipeline(write, shape, inner, after, keras_takes):
    """Found by an attack pass: a Pipeline's layers were judged for their ranks only, and what it made was unknown,
    so a window too long inside it, or after a Resizing in it, validated, and a Reshape of what it made was judged
    on its input's size. Its layers now pass shapes on as the same layers outside do."""

    def run():
        x = keras.layers.Pipeline([_keras_layer(layer) for layer in inner])(keras.Input(tuple(shape)))
        return _keras_layer(after)(x) if after else x

    if keras_takes:
        run()
    else:
        with pytest.raises(Exception):  # noqa: B017 - Keras raises its own errors of several types here
            run()
    r = _validate_chain(write, shape, [{"type": "Pipeline", "layers": inner}] + ([after] if after else []))
    assert r.returncode == (0 if keras_takes else 2), r.stdout


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_pipeline_layer_with_other_shape_arguments_than_measured_is_not_refused(write):
    """Found by an attack pass: the ranks inside a Pipeline were measured with the probe's arguments, and
    RandomCrop(data_format=channels_first) on (4, 3) was refused, which Keras builds on TensorFlow. Where a shape
    argument differs from the probe's, those ranks do not speak for the layer (it is judged as called directly)."""
    import json

    inner = {"type": "RandomCrop", "height": 2, "width": 2, "data_format": "channels_first"}
    try:
        keras.layers.Pipeline([_keras_layer(inner)])(keras.Input((4, 3)))
    except Exception:  # on JAX RandomCrop takes no rank inside a Pipeline (measured)
        pytest.skip(f"Keras refuses it inside a Pipeline on {keras.backend.backend()}")
    r = run_cli("validate", "--backend", keras.backend.backend(),
                write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [4, 3]}}\nlayers:\n  - type: Pipeline\n    layers:\n"
                                f"      - {json.dumps(inner)}\n"))
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize(("units", "keras_takes"), [(44, True), (22, False)])
def test_a_concatenation_is_as_wide_as_its_inputs_together(write, units, keras_takes):
    """Found by make bench (NASNetMobile's export round trip refused): a Concatenate of two 22-wide inputs was
    taken as 22 wide (its first input's), so adding it to a 44-wide tensor was refused, which Keras builds."""
    x = keras.Input((4,))
    a, b, c = keras.layers.Dense(22)(x), keras.layers.Dense(22)(x), keras.layers.Dense(units)(x)
    if keras_takes:
        keras.layers.Add()([keras.layers.Concatenate()([a, b]), c])
    else:
        with pytest.raises(ValueError):
            keras.layers.Add()([keras.layers.Concatenate()([a, b]), c])
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninputs: {{x: {{shape: [4]}}}}\nlayers:\n"
                                          "  - {type: Dense, name: a, inputs: [x], units: 22}\n"
                                          "  - {type: Dense, name: b, inputs: [x], units: 22}\n"
                                          f"  - {{type: Dense, name: c, inputs: [x], units: {units}}}\n"
                                          "  - {type: Concatenate, name: ab, inputs: [a, b]}\n"
                                          "  - {type: Add, name: sum, inputs: [ab, c]}\noutputs: [sum]\n"))
    assert r.returncode == (0 if keras_takes else 2), r.stdout


@pytest.mark.parametrize("axis", [0, -3, 1, -1])
@pytest.mark.parametrize("layer", [{"type": "RMSNormalization"}, {"type": "LayerNormalization"},
                                   {"type": "BatchNormalization"}, {"type": "GroupNormalization", "groups": 1},
                                   {"type": "Normalization"}, {"type": "UnitNormalization"}])
def test_an_axis_that_sizes_a_weight_may_not_be_the_batch_axis(write, layer, axis):
    """Found by make fuzz (seed 6682): RMSNormalization(axis=0) validated, and Keras refuses it (the weight it sizes
    by that axis has no size when the layer is built). The probe records which layers refuse the batch axis
    (`batch_axis_refused`): the normalizations, not UnitNormalization, which makes no weight."""
    spec = {**layer, "axis": axis}
    try:
        _keras_layer(spec)(keras.Input((4, 8)))
        keras_takes = True
    except ValueError:
        keras_takes = False
    r = _validate_chain(write, [4, 8], [spec])
    assert r.returncode == (0 if keras_takes else 2), r.stdout
    assert keras_takes == (axis not in (0, -3) or layer["type"] == "UnitNormalization")


@pytest.mark.parametrize("inner", [{"type": "Pipeline", "layers": [{"type": "Dense", "units": 2}]},
                                   {"type": "LayerScale", "init_values": 0.1, "projection_dim": 8},
                                   {"type": "StochasticDepth", "drop_path_rate": 0.1},
                                   {"type": "Dense", "units": 2}, {"type": "LayerNormalization"}])
def test_a_layer_that_does_not_say_its_output_shape_cannot_be_time_distributed(write, inner):
    """Left open by an attack pass: TimeDistributed(Pipeline(...)) validated, and Keras refuses it at any rank.
    TimeDistributed asks its layer what shape it returns; Pipeline, LayerScale and StochasticDepth do not say. The
    probe records the layers Keras refuses inside TimeDistributed at every rank it takes them (`in_time_distributed`)."""
    import importlib
    import json

    from policyfactory.core.catalog import shipped_catalog

    def made(spec):
        spec = dict(spec)
        kind = spec.pop("type")
        if kind == "Pipeline":
            return keras.layers.Pipeline([made(s) for s in spec["layers"]])
        return getattr(importlib.import_module(shipped_catalog().layers[kind].module), kind)(**spec)

    try:
        keras.layers.TimeDistributed(made(inner))(keras.Input((3, 8)))
        keras_takes = True
    except (ValueError, NotImplementedError):
        keras_takes = False
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: [3, 8]}}\nlayers:\n"
                                          f"  - {{type: TimeDistributed, layer: {json.dumps(inner)}}}\n"))
    assert r.returncode == (0 if keras_takes else 2), r.stdout
    assert keras_takes == (inner["type"] in ("Dense", "LayerNormalization"))


@pytest.mark.parametrize(("wrapper", "shape"), [("TimeDistributed", [4, 8, 8]), ("SpectralNormalization", [8, 8]),
                                                ("TimeDistributed2", [3, 4, 8, 8])])
@pytest.mark.parametrize("kernel_size", [9, 3])
def test_a_wrapped_window_is_judged_on_what_the_wrapper_gives_it(write, wrapper, shape, kernel_size):
    """Found by an attack pass: a Conv1D too long for its input validated inside TimeDistributed (on each step, one
    axis less), TimeDistributed twice, or SpectralNormalization; called directly it was refused."""
    import json

    conv = {"type": "Conv1D", "filters": 2, "kernel_size": kernel_size}
    spec = ({"type": "TimeDistributed", "layer": {"type": "TimeDistributed", "layer": conv}} if wrapper == "TimeDistributed2"
            else {"type": wrapper, "layer": conv})
    try:
        _keras_layer(spec)(keras.Input(tuple(shape)))
        keras_takes = True
    except ValueError:
        keras_takes = False
    r = run_cli("validate", write("m.yaml", f"{HEAD}name: m\ninput: {{shape: {shape}}}\nlayers:\n"
                                          f"  - {json.dumps(spec)}\n"))
    assert r.returncode == (0 if keras_takes else 2), r.stdout
    assert keras_takes == (kernel_size == 3)


@pytest.mark.parametrize(("shape", "axis"), [([4, 8], [2, -1]), ([8], [1, 1]), ([8], [1, -1]), ([4, 8], [-1, -1]),
                                             ([4, 8], [1, 2]), ([4, 8], [1, -1])])
@pytest.mark.parametrize("layer", ["Normalization", "LayerNormalization"])
def test_an_axis_list_naming_one_axis_twice(write, shape, axis, layer):
    """Found by an attack pass: Normalization(axis=[2, -1]) on (4, 8) validated (2 and -1 are one axis), and Keras
    refuses it; LayerNormalization takes it. The probe records which layers refuse [1, 1] where they take [1, 2]
    (`repeated_axis_refused`)."""
    spec = {"type": layer, "axis": axis}
    try:
        _keras_layer(spec)(keras.Input(tuple(shape)))
        keras_takes = True
    except Exception:  # Normalization's reshape fails in the backend's own error type
        keras_takes = False
    r = _validate_chain(write, shape, [spec])
    assert r.returncode == (0 if keras_takes else 2), r.stdout
    total = len(shape) + 1
    assert keras_takes == (layer != "Normalization" or len({a % total for a in axis}) == len(axis))
