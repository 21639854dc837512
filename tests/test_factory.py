"""LayerFactory with the real Keras: fresh components, distinct seeds, policy-checked sharing."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest
from conftest import ROOT, keras_refuses_without_tensorflow

import policyfactory as pf
from policyfactory.core.catalog import catalog
from policyfactory.keras_side.introspect import slot_holder
from policyfactory.keras_side.registry import layer_class


def corr(a, b):
    a, b = np.ravel(a), np.ravel(b)
    n = min(a.size, b.size)
    return abs(float(np.corrcoef(a[:n], b[:n])[0, 1]))


def built_dense(layer, n_in=64):
    layer.build((None, n_in))
    return layer.kernel.numpy()


def test_plain_keras_shows_the_problem_we_solve():
    """The reference: the same unseeded object in two plain Keras layers gives identical kernels."""
    init = keras.initializers.HeNormal()
    a, b = keras.layers.Dense(64, kernel_initializer=init), keras.layers.Dense(64, kernel_initializer=init)
    assert corr(built_dense(a), built_dense(b)) > 0.999


def test_same_object_twice_gives_uncorrelated_kernels():
    f = pf.LayerFactory()
    init = keras.initializers.HeNormal()
    a, b = f.Dense(64, kernel_initializer=init), f.Dense(64, kernel_initializer=init)
    assert a.kernel_initializer is not b.kernel_initializer
    assert corr(built_dense(a), built_dense(b)) < 0.2


def test_same_object_in_lstm_kernel_and_recurrent_roles_is_uncorrelated():
    f = pf.LayerFactory()
    init = keras.initializers.HeNormal()
    lstm = f.LSTM(32, kernel_initializer=init, recurrent_initializer=init)
    lstm.build((None, 5, 32))
    assert corr(lstm.cell.kernel.numpy(), lstm.cell.recurrent_kernel.numpy()) < 0.2


def test_string_and_config_components_are_fresh_with_distinct_seeds():
    f = pf.LayerFactory(seed=3)
    layers = [f.Dense(8, kernel_initializer="he_normal"), f.Dense(8, kernel_initializer={"class_name": "HeNormal", "config": {}}),
              f.Dense(8)]  # the Keras default (GlorotUniform) is seeded too
    seeds = [l.kernel_initializer.seed for l in layers]
    assert len(set(seeds)) == 3 and all(isinstance(s, int) for s in seeds)


WEIGHTS_SCRIPT = """
import json, sys, numpy as np, policyfactory as pf
f = pf.LayerFactory(seed=int(sys.argv[1]))
d = f.Dense(16, kernel_initializer="he_normal"); d.build((None, 8))
l = f.LSTM(4); l.build((None, 3, 8))
print(json.dumps([d.kernel.numpy().tolist(), l.cell.recurrent_kernel.numpy().tolist()]))
"""


def weights_in_new_process(seed):
    r = subprocess.run([sys.executable, "-c", WEIGHTS_SCRIPT, str(seed)], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_same_factory_seed_gives_identical_weights_in_two_processes():
    first, second, other = weights_in_new_process(1), weights_in_new_process(1), weights_in_new_process(2)
    assert first == second
    assert not np.allclose(np.array(first[0]), np.array(other[0]))


def test_strict_refuses_a_shared_initializer_and_names_both_slots():
    f = pf.LayerFactory("strict")
    he = f.shared("he", keras.initializers.HeNormal())
    f.Dense(8, name="first", kernel_initializer=he)
    with pytest.raises(pf.PolicyViolation) as ei:
        f.Dense(8, name="second", kernel_initializer=he)
    msg = str(ei.value)
    assert "first.kernel_initializer" in msg and "second.kernel_initializer" in msg
    assert "default (initializer: deny)" in msg and "HeNormal" in msg
    (finding,) = ei.value.findings
    assert finding.data["slots"] == ["first.kernel_initializer", "second.kernel_initializer"]
    assert isinstance(ei.value, ValueError)
    # the refused layer left nothing behind: its name is free again and the group has one slot
    f2 = f.Dense(8, name="second")
    assert f2.name == "second"
    assert [r["layer"] for r in f.report() if r["group"]] == []


def test_recurrent_policy_keeps_one_unit_norm_object_and_refuses_it_on_dense():
    f = pf.LayerFactory("recurrent", seed=0)
    norm = f.shared("unit_norm", keras.constraints.UnitNorm())
    a = f.LSTM(8, kernel_constraint=norm, recurrent_constraint=norm, return_sequences=True)
    b = f.LSTM(8, kernel_constraint=norm, recurrent_constraint=norm)
    objs = {id(x) for x in (a.cell.kernel_constraint, a.cell.recurrent_constraint,
                            b.cell.kernel_constraint, b.cell.recurrent_constraint)}
    assert objs == {id(norm.instance)}
    with pytest.raises(pf.PolicyViolation) as ei:
        f.Dense(4, kernel_constraint=norm)
    assert "dense.kernel_constraint" in str(ei.value)
    rows = [r for r in f.report() if r["group"]]
    assert len(rows) == 4 and {r["verdict"] for r in rows} == {"allowed"}
    assert {r["decided_by"] for r in rows} == {"rule 'recurrent-constraints'"}


def test_two_slots_with_one_explicit_seed_form_a_group():
    f = pf.LayerFactory("strict")
    f.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=5))
    with pytest.raises(pf.PolicyViolation) as ei:
        f.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=5))
    assert "GlorotUniform(seed=5)" in str(ei.value)
    # permissive policy: kept as written, so the two kernels are the same stream
    loose = pf.LayerFactory(pf.load_policy(write_policy("defaults: {initializer: allow}")))
    a = loose.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=5))
    b = loose.Dense(8, kernel_initializer=keras.initializers.GlorotUniform(seed=5))
    assert a.kernel_initializer.seed == b.kernel_initializer.seed == 5


def write_policy(body):
    import os
    import tempfile
    path = os.path.join(tempfile.mkdtemp(), "p.yaml")
    with open(path, "w") as fh:
        fh.write(f"kind: policy\nversion: 1\nname: loose\n{body}\n")
    return path


def test_bidirectional_gives_the_backward_layer_its_own_seed():
    ref = keras.layers.Bidirectional(keras.layers.LSTM(8, kernel_initializer=keras.initializers.GlorotUniform(seed=3)))
    ref.build((None, 4, 6))
    assert corr(ref.forward_layer.cell.kernel.numpy(), ref.backward_layer.cell.kernel.numpy()) > 0.999  # Keras's copy

    f = pf.LayerFactory(seed=1)
    bi = f.Bidirectional(f.LSTM(8, kernel_initializer=keras.initializers.GlorotUniform(seed=3)))
    bi.build((None, 4, 6))
    fw, bw = bi.forward_layer.cell, bi.backward_layer.cell
    assert fw.kernel_initializer.seed == 3
    assert bw.kernel_initializer.seed != 3
    assert corr(fw.kernel.numpy(), bw.kernel.numpy()) < 0.2
    assert corr(fw.recurrent_kernel.numpy(), bw.recurrent_kernel.numpy()) < 0.2


def test_bidirectional_keeps_an_allowed_shared_constraint_one_object():
    f = pf.LayerFactory("recurrent", seed=1)
    norm = f.shared("n", "unit_norm")
    bi = f.Bidirectional(f.LSTM(8, kernel_constraint=norm, recurrent_constraint=norm))
    fw, bw = bi.forward_layer.cell, bi.backward_layer.cell
    assert fw.kernel_constraint is bw.kernel_constraint is bw.recurrent_constraint is norm.instance


def test_multi_head_attention_projections_get_distinct_seeds():
    ref = keras.layers.MultiHeadAttention(2, 8, kernel_initializer=keras.initializers.GlorotUniform(seed=4))
    x = np.zeros((1, 3, 16), "float32")
    ref(x, x)
    assert corr(ref.query_dense.kernel.numpy(), ref.key_dense.kernel.numpy()) > 0.999  # Keras's clone

    f = pf.LayerFactory(seed=2)
    mha = f.MultiHeadAttention(2, 8, kernel_initializer=keras.initializers.GlorotUniform(seed=4))
    mha(x, x)
    q, k, v = (mha.query_dense.kernel.numpy(), mha.key_dense.kernel.numpy(), mha.value_dense.kernel.numpy())
    assert max(corr(q, k), corr(q, v), corr(k, v)) < 0.2


def test_group_query_attention_projections_get_distinct_seeds():
    f = pf.LayerFactory(seed=2)
    gqa = f.GroupQueryAttention(head_dim=8, num_query_heads=2, num_key_value_heads=2,
                                kernel_initializer=keras.initializers.GlorotUniform(seed=4))
    x = np.zeros((1, 3, 16), "float32")
    gqa(x, x)
    assert corr(gqa._query_dense.kernel.numpy(), gqa._key_dense.kernel.numpy()) < 0.2


def test_time_distributed_and_rnn_cell_are_planned():
    f = pf.LayerFactory(seed=1)
    he = keras.initializers.HeNormal()
    td = f.TimeDistributed(f.Dense(16, kernel_initializer=he))
    rnn = f.RNN(f.LSTMCell(16, kernel_initializer=he))
    td.build((None, 3, 16))
    rnn.build((None, 3, 16))
    assert corr(td.layer.kernel.numpy(), rnn.cell.kernel.numpy()) < 0.2


def test_layers_get_deterministic_unique_names():
    f = pf.LayerFactory()
    names = [f.Dense(2).name, f.Dense(2).name, f.LSTM(2).name, f.Dense(2, name="head").name, f.Dense(2).name]
    assert names == ["dense", "dense_1", "lstm", "head", "dense_2"]
    with pytest.raises(pf.InvalidInput):
        f.Dense(2, name="head")


def test_unknown_and_forbidden_layer_types():
    f = pf.LayerFactory()
    with pytest.raises(pf.InvalidInput, match="did you mean 'LSTM'"):
        f.layer("LSTMM", 2)
    with pytest.raises(pf.InvalidInput, match="not allowed"):
        f.layer("Lambda", lambda x: x)
    with pytest.raises(AttributeError):
        f.Lambda


def test_module_keys_in_python_configs_are_refused():
    f = pf.LayerFactory()
    with pytest.raises(pf.InvalidInput, match="module"):
        f.Dense(2, kernel_initializer={"class_name": "HeNormal", "module": "os", "config": {}})


# -- every catalog layer type can be built ----------------------------------------

SAMPLE = {
    "units": 4, "filters": 2, "kernel_size": 3, "rate": 0.5, "pool_size": 2, "output_size": 2,
    "height": 4, "width": 4, "factor": 0.1, "height_factor": 0.1, "width_factor": 0.1, "n": 2,
    "dims": [2, 1], "target_shape": [4], "scale": 0.5, "stddev": 0.1, "num_bins": 4, "max_number": 2,
    "axes": 1, "input_dim": 10, "output_dim": 4, "num_heads": 2, "key_dim": 4, "head_dim": 4,
    "num_query_heads": 2, "num_key_value_heads": 2, "equation": "ab,bc->ac", "output_shape": 4,
    "activation": "relu", "drop_path_rate": 0.1, "init_values": 0.1, "projection_dim": 4,
}


# Arguments optional in the signature but needed in practice, and values outside the usual range.
PER_TYPE = {
    "CategoryEncoding": {"num_tokens": 4},
    "Discretization": {"num_bins": 4},
    "RandomPosterization": {"factor": 4},
}


def sample_args(f, lt):
    kwargs = dict(PER_TYPE.get(lt.name, {}))
    for p in lt.required:
        if p == "layer":
            kwargs[p] = f.LSTM(2) if lt.name == "Bidirectional" else f.Dense(2)
        elif p == "cell":
            kwargs[p] = f.LSTMCell(2)
        elif p == "cells":
            kwargs[p] = [f.LSTMCell(2), f.GRUCell(2)]
        elif p == "layers":
            kwargs[p] = [f.Rescaling(0.5)]
        elif p not in kwargs:
            kwargs[p] = SAMPLE[p]
    return kwargs


@pytest.mark.parametrize("type_name", sorted(catalog().layers))
def test_every_catalog_layer_type_builds_through_the_factory(type_name):
    f = pf.LayerFactory(seed=0)
    lt = catalog().layer(type_name)
    if keras_refuses_without_tensorflow(type_name):  # as the catalog says (measured), and Keras says why
        with pytest.raises(ImportError, match=f"Layer {type_name} requires TensorFlow"):
            f.layer(type_name, **sample_args(f, lt))
        return
    layer = f.layer(type_name, **sample_args(f, lt))
    assert isinstance(layer, keras.layers.Layer)
    assert type(layer) is layer_class(lt)  # keras.layers, or the keras.applications module that defines it
    # the plan's seeds are the seeds of the component objects the layer holds, and no two repeat
    planned = [r for r in f.report() if r["layer"] == layer.name and r["kind"] == "initializer" and r["random"]]
    seeds = [r["seed"] for r in planned]
    assert all(isinstance(s, int) for s in seeds) and len(set(seeds)) == len(seeds)
    for r in planned:
        found = slot_holder(layer, r["arg"])
        if found is not None:
            assert getattr(*found).seed == r["seed"], r
