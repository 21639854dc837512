"""The shipped catalog agrees with the installed Keras (it is generated from it)."""

import json
import os

from conftest import ROOT

# Layer types re-probed against the installed Keras on every test run: what each refuses, the ranks it takes and
# returns, its weights, its output width rule and axes (Dense: units; Embedding: an axis appended; Conv2D: filters
# over a window), the arguments that resize it, and whether it returns its input (Equalization).
SAMPLE = ["Conv2D", "Dense", "BatchNormalization", "Attention", "LSTMCell", "ReLU", "Reshape", "Flatten", "RNN",
          "Embedding", "Equalization"]


def test_catalog_matches_installed_keras():
    import sys
    sys.path.insert(0, os.path.join(ROOT, "scripts"))
    import gen_catalog

    fresh = json.loads(json.dumps(gen_catalog.build_catalog(probe=SAMPLE)))
    with open(os.path.join(ROOT, "policyfactory", "core", "catalog.json"), encoding="utf-8") as fh:
        shipped = json.load(fh)
    assert shipped["keras_version"] == fresh["keras_version"]
    assert set(shipped["layers"]) == set(fresh["layers"]), "layer types drifted: run make catalog"
    for name in fresh["layers"]:
        if name not in SAMPLE:  # probing every type takes minutes: `gen_catalog.py --check` does; here a sample
            shipped["layers"][name].pop("probe", None)
        assert shipped["layers"][name] == fresh["layers"][name], f"{name} drifted: run make catalog"
    assert shipped["components"] == fresh["components"]
    assert shipped["layer_aliases"] == fresh["layer_aliases"]
    assert shipped["excluded_layers"] == fresh["excluded_layers"]
    assert shipped["activations"] == fresh["activations"]
    assert shipped["backends"] == fresh["backends"], "what needs TensorFlow drifted: run make catalog"


def test_catalog_covers_what_the_issue_names():
    from policyfactory.core.catalog import shipped_catalog as catalog
    cat = catalog()
    for name in ["Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "DepthwiseConv1D",
                 "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "Embedding", "SimpleRNN", "GRU", "LSTM",
                 "LSTMCell", "GRUCell", "SimpleRNNCell", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
                 "BatchNormalization", "LayerNormalization", "GroupNormalization", "MultiHeadAttention",
                 "GroupQueryAttention", "PReLU", "Flatten", "Dropout", "MaxPooling2D", "Add", "Concatenate",
                 "Reshape", "Bidirectional", "TimeDistributed", "RNN"]:
        assert cat.layer(name) is not None, name
    assert cat.layer("Convolution2D") is cat.layer("Conv2D")
    assert cat.layer("Lambda") is None and "Lambda" in cat.excluded_layers
    assert cat.layer("TFSMLayer") is None
    assert cat.layer("Flatten").slots["activity_regularizer"].role == "activity"
    assert cat.layer("BatchNormalization").slots["moving_variance_initializer"].role == "moving_variance"
    assert cat.component("regularizer", "l2").name == "L2"
    assert cat.component("constraint", "max_norm").name == "MaxNorm"
    assert cat.component("initializer", "he_normal").random
    assert not cat.component("initializer", "zeros").random


def test_every_catalog_name_is_the_class_keras_gives_that_name():
    from keras.src import constraints, initializers, regularizers

    from policyfactory.core.catalog import shipped_catalog as catalog
    from policyfactory.keras_side.registry import component_class
    registries = {"initializer": initializers.ALL_OBJECTS_DICT, "regularizer": regularizers.ALL_OBJECTS_DICT,
                  "constraint": constraints.ALL_OBJECTS_DICT}
    for kind, entries in catalog().components.items():
        for name, ct in entries.items():
            for alias in [name] + ct.aliases:
                assert registries[kind][alias] is component_class(ct), alias
