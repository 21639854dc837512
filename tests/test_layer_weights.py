"""--max-params counts the weights of every catalog layer type: validate's estimate (TF-free) is a lower bound of
Keras's own count_params(), and not zero where Keras's is not zero. Each type is built at a small shape whose width
(8) differs from the widths the catalog was probed at (4 and 6)."""

import os
import sys

import keras
import pytest
from conftest import ROOT, keras_refuses_without_tensorflow

from policyfactory.core.catalog import shipped_catalog
from policyfactory.core.params import layer_params

sys.path.insert(0, os.path.join(ROOT, "scripts"))
from probe_keras import BASE, SUBLAYERS, Prober

WIDTH = 8


def _cases():
    cat = shipped_catalog()
    out = []
    for name, lt in sorted(cat.layers.items()):
        calls = lt.probe.get("calls", {}).get("1")
        if name in SUBLAYERS or not calls or calls["dtype"] != "float32":
            continue
        ranks = [int(r) for r in calls["ranks"]]
        out.append((name, max(r for r in ranks if r <= 4) if min(ranks) <= 4 else min(ranks)))
    return out


CASES = _cases()


def test_every_layer_type_keras_can_call_is_covered():
    assert len(CASES) > 90 and {"BatchNormalization", "LayerNormalization", "EinsumDense", "GroupQueryAttention",
                                "PReLU", "GroupNormalization", "Normalization",
                                "RMSNormalization", "Dense"} <= {n for n, _ in CASES}


@pytest.mark.parametrize("name,rank", CASES, ids=[c[0] for c in CASES])
def test_estimate_is_a_nonzero_lower_bound_of_keras_count(name, rank):
    if keras_refuses_without_tensorflow(name):
        pytest.skip(f"{name} needs TensorFlow, which is not installed here")
    prober = Prober(shipped_catalog().layers and {n: {"params": lt.params, "required": lt.required, "slots": {},
                                                      "layer_params": lt.layer_params, "module": lt.module}
                                                  for n, lt in shipped_catalog().layers.items()}, [])
    layer = prober.make(name)
    x = keras.Input(shape=(4,) * (rank - 1) + (WIDTH,))
    prober.call(name, layer, [x])
    truth = layer.count_params() if layer.built else 0
    estimate = layer_params(name, dict(BASE.get(name, {})), WIDTH)
    assert estimate <= truth, (name, estimate, truth)
    if truth:
        assert estimate > 0, (name, truth)
    keras.backend.clear_session()
