"""Operations on tensors (`op:`) and further calls of a layer (`call:`) in model files: judged like layers by
`validate`, built by `build` as Keras's functional API builds them, refused where Keras refuses them."""

import json

import keras
import numpy as np
import pytest
from conftest import run_cli

import policyfactory as pf

HEAD = "kind: model\nversion: 1\nname: g\n"
TWO = HEAD + "inputs: {a: {shape: [4]}, b: {shape: [4]}}\n"


def findings(tmp_path, text, name="m.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    r = run_cli("validate", "--format", "json", str(path))
    return r.returncode, json.loads(r.stdout)["findings"], str(path)


VALID = {
    "arithmetic": TWO + "layers:\n  - {op: subtract, inputs: [a, b]}\n  - {op: abs}\n"
                        "  - {op: multiply, value: 2.0}\n  - {op: subtract, value: 1.0, value_first: true}\n"
                        "  - {op: maximum, inputs: [a, subtract_1]}\noutputs: [maximum]\n",
    "join_and_reduce": TWO + "layers:\n  - {op: concatenate, inputs: [a, b], axis: -1}\n"
                             "  - {op: reshape, newshape: [-1, 2, 4]}\n  - {op: mean, axis: 1}\n"
                             "  - {op: softmax}\n  - {type: Dense, units: 3}\noutputs: [dense]\n",
    "activations": HEAD + "input: {shape: [3, 5]}\nlayers:\n  - {type: Dense, units: 4}\n  - {op: hard_silu}\n"
                          "  - {op: gelu, approximate: false}\n  - {op: sum, axis: [1], keepdims: true}\n",
    "tied": TWO + "layers:\n  - {type: Dense, name: enc, inputs: [a], units: 4}\n  - {call: enc, inputs: [b]}\n"
                  "  - {call: enc, inputs: [enc_call]}\n  - {op: add, inputs: [enc, enc_call_1]}\noutputs: [add]\n",
}


@pytest.mark.parametrize("name", list(VALID))
def test_valid_graph_entries_validate_and_build_with_one_layer_per_layer_entry(name, tmp_path):
    code, found, path = findings(tmp_path, VALID[name])
    assert code == 0 and found == [], found
    model = pf.build_model(path)
    x = [np.ones((2, *i.shape[1:]), "float32") for i in model.inputs]
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(model(x if len(x) > 1 else x[0]))))
    if name == "tied":  # one Dense object, called three times: one kernel and bias
        assert [layer.name for layer in model.layers] == ["a", "b", "enc"] and model.count_params() == 20
        assert len(model.get_layer("enc")._inbound_nodes) == 3
    if name == "join_and_reduce":
        assert model.output_shape == (None, 3)


BAD = {
    "unknown-operation": (TWO + "layers:\n  - {op: eval, inputs: [a]}\noutputs: [eval]\n", 6, "closed list"),
    "argument-value": (TWO + "layers:\n  - {op: multiply, inputs: [a], value: two}\noutputs: [multiply]\n", 6,
                       "takes a number"),
    "argument-value-operands": (TWO + "layers:\n  - {op: subtract, inputs: [a]}\noutputs: [subtract]\n", 6,
                                "two operands"),
    "unknown-argument": (TWO + "layers:\n  - {op: add, inputs: [a, b], axis: 1}\noutputs: [add]\n", 6,
                         "add takes no argument 'axis'"),
    "call-entry": (TWO + "layers:\n  - {type: Dense, name: enc, inputs: [a], units: 2}\n"
                         "  - {call: enc, inputs: [b], units: 3}\noutputs: [enc_call]\n", 7, "belongs to the layer"),
    "call-entry-target": (TWO + "layers:\n  - {op: abs, inputs: [a]}\n  - {call: abs, inputs: [b]}\n"
                                "outputs: [abs_call]\n", 7, "is an operation"),
    # make fuzz: mean over axis [1, 1] of a rank-2 input validated, and Keras refused it (an axis named twice)
    "argument-value-axis": (TWO + "layers:\n  - {op: mean, inputs: [a], axis: [1, 1]}\noutputs: [mean]\n", 6,
                            "names one axis twice"),
    # make fuzz: a mapping given to call: was an internal error (an unhashable key looked up among the inputs)
    "call-entry-mapping": (TWO + "layers:\n  - {type: Dense, name: enc, inputs: [a], units: 2}\n"
                                 "  - {call: {a: 1}, inputs: [b]}\noutputs: [enc]\n", 7, "a mapping is no earlier layer"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_entries_are_located_findings_with_exit_2(case, tmp_path):
    text, line, words = BAD[case]
    code, found, _ = findings(tmp_path, text)
    rule = case.removesuffix("-operands").removesuffix("-target").removesuffix("-mapping").removesuffix("-axis")
    assert code == 2 and found[0]["rule"] == rule, found
    assert found[0]["line"] == line and words in found[0]["message"], found


KERAS_REFUSES = {
    "broadcast": (HEAD + "inputs: {a: {shape: [4]}, b: {shape: [3]}}\nlayers:\n  - {op: add, inputs: [a, b]}\n"
                  "outputs: [add]\n", "do not broadcast",
                  lambda a, b: keras.ops.add(a, b), ((4,), (3,))),
    "concatenate": (HEAD + "inputs: {a: {shape: [4, 2]}, b: {shape: [3, 5]}}\nlayers:\n"
                    "  - {op: concatenate, inputs: [a, b], axis: -1}\noutputs: [concatenate]\n", "same sizes",
                    lambda a, b: keras.ops.concatenate([a, b], axis=-1), ((4, 2), (3, 5))),
    "call_width": (HEAD + "inputs: {a: {shape: [4]}, b: {shape: [3]}}\nlayers:\n"
                   "  - {type: Dense, name: enc, inputs: [a], units: 2}\n  - {call: enc, inputs: [b]}\n"
                   "outputs: [enc_call]\n", "width 4",
                   lambda a, b, d=None: (d := keras.layers.Dense(2), d(a), d(b))[-1], ((4,), (3,))),
}


@pytest.mark.parametrize("entry", ["{op: mean}", "{op: sum, inputs: [a], axis: [0, 1]}", "{op: concatenate, inputs: [a, b]}",
                                   "{op: reshape, inputs: [a], newshape: [2, -1]}"])
def test_operations_that_would_mix_samples_are_refused(entry, tmp_path):
    code, found, _ = findings(tmp_path, TWO + f"layers:\n  - {entry.replace('{op: mean}', '{op: mean, inputs: [a]}')}\n")
    assert code == 2 and found[0]["rule"] == "argument-value" and "batch axis" in found[0]["message"], found


@pytest.mark.parametrize("case", list(KERAS_REFUSES))
def test_what_keras_refuses_on_symbolic_tensors_validate_refuses(case, tmp_path):
    text, words, keras_way, shapes = KERAS_REFUSES[case]
    with pytest.raises((ValueError, TypeError)):  # plain Keras, on the same shapes
        a, b = (keras.Input(s) for s in shapes)
        keras.Model([a, b], keras_way(a, b))
    code, found, path = findings(tmp_path, text)
    assert code == 2 and found[0]["rule"] == "argument-value" and words in found[0]["message"], found
    r = run_cli("build", path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_an_operation_or_call_inside_a_wrapper_is_refused(tmp_path):
    code, found, _ = findings(tmp_path, HEAD + "input: {shape: [5, 3]}\nlayers:\n"
                                              "  - {type: TimeDistributed, layer: {op: abs}}\n")
    assert code == 2 and found[0]["rule"] == "wrapper-layer", found


def test_a_layer_whose_first_call_feeds_no_output_is_still_in_the_model(tmp_path):
    code, found, path = findings(tmp_path, TWO + "layers:\n  - {type: Dense, name: enc, inputs: [a], units: 2}\n"
                                                 "  - {call: enc, inputs: [b]}\noutputs: [enc_call]\n")
    assert code == 0 and found == []  # its later call does: the layer, with its weights, is in the model
    assert pf.build_model(path).count_params() == 10


def test_an_applications_layer_is_checked_against_its_input_like_the_others(tmp_path):
    """LayerScale (ConvNeXt's) scales each channel: Keras refuses a vector of another length at build."""
    a = keras.Input((5, 4))
    with pytest.raises(ValueError):
        keras.Model(a, keras.src.applications.convnext.LayerScale(0.1, 3)(a))
    text = HEAD + "input: {shape: [5, 4]}\nlayers:\n  - {type: LayerScale, init_values: 0.1, projection_dim: %d}\n"
    code, found, _ = findings(tmp_path, text % 3)
    assert code == 2 and found[0]["rule"] == "argument-value" and "'projection_dim' (3)" in found[0]["message"]
    code, found, path = findings(tmp_path, text % 4, "good.yaml")
    assert code == 0 and pf.build_model(path).count_params() == 4
