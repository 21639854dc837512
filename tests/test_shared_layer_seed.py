"""shared-layer-seed: the premise measured on Keras, and the finding at the layer that repeats the seed."""

import json

import keras
import numpy as np
from conftest import run_cli


def test_two_dropout_layers_with_one_seed_drop_the_same_positions():
    x = np.ones((4, 64), dtype="float32")
    a = keras.layers.Dropout(0.5, seed=7)(x, training=True)
    b = keras.layers.Dropout(0.5, seed=7)(x, training=True)
    c = keras.layers.Dropout(0.5, seed=8)(x, training=True)
    assert np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert not np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(c))


def test_one_warning_per_seed_at_the_layer_that_repeats_it_wrapped_layers_included(write):
    path = write("m.yaml", "kind: model\nversion: 1\ninput: {shape: [4, 8]}\nlayers:\n"
                           "  - {type: Dropout, rate: 0.5, seed: 7}\n"
                           "  - type: Bidirectional\n"
                           "    layer: {type: LSTM, units: 4, dropout: 0.1, seed: 7}\n"
                           "  - {type: GaussianNoise, stddev: 0.1, seed: 3}\n"
                           "  - {type: GaussianDropout, rate: 0.1, seed: 7}\n")
    r = run_cli("validate", "--format", "json", path)
    assert r.returncode == 0, r.stdout  # a warning never fails a run
    found = [f for f in json.loads(r.stdout)["findings"] if f["rule"] == "shared-layer-seed"]
    assert [(f["line"], f["column"]) for f in found] == [(7, 12)]
    assert "'dropout' (Dropout), 'lstm' (LSTM), 'gaussian_dropout' (GaussianDropout)" in found[0]["message"]
