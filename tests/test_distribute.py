"""build_model and the factory under a distribution: tf.distribute.MirroredStrategy over two logical CPU devices
(TensorFlow), and keras.distribution's DataParallel and ModelParallel over eight virtual CPU devices (JAX)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT

SCRIPT = r'''
import json, sys
import numpy as np
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import policyfactory as pf
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
m = pf.build_model(sys.argv[1], strategy=strategy)
ref = pf.build_model(sys.argv[1])
a, b = m.get_layer("lstm_a").cell, m.get_layer("lstm").cell
with strategy.scope():
    f = pf.LayerFactory("recurrent", seed=7)
    norm = f.shared("n", "unit_norm")
    lstm = f.LSTM(4, kernel_constraint=norm, recurrent_constraint=norm)
    lstm.build((None, 2, 3))
    try:
        f.Dense(2, kernel_constraint=norm)
        refused = False
    except pf.PolicyViolation:
        refused = True
replicas_equal = all(
    all(np.array_equal(r.numpy(), v.value.values[0].numpy()) for r in v.value.values) for v in m.weights)
print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "variable_types": sorted({type(v.value).__name__ for v in m.weights + lstm.weights}),
    "shared": a.kernel_constraint is a.recurrent_constraint is b.kernel_constraint is b.recurrent_constraint,
    "factory_shared": lstm.cell.kernel_constraint is lstm.cell.recurrent_constraint is norm.instance,
    "refused_on_dense": refused,
    "replicas_equal": replicas_equal,
    "same_as_without_strategy": all(np.array_equal(x, y) for x, y in zip(m.get_weights(), ref.get_weights())),
}))
'''


def test_mirrored_strategy_keeps_policy_sharing_and_seeded_weights():
    pytest.importorskip("tensorflow")  # tf.distribute is TensorFlow's own
    r = subprocess.run([sys.executable, "-c", SCRIPT, os.path.join(EXAMPLES, "forecaster.yaml")],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["replicas"] == 2
    assert got["variable_types"] == ["MirroredVariable"]
    assert got["shared"] and got["factory_shared"] and got["refused_on_dense"]
    assert got["replicas_equal"] and got["same_as_without_strategy"]


KERAS_DISTRIBUTION = r"""
import json, sys
import numpy as np
import jax
import keras
from keras import distribution as kd
import policyfactory as pf

devices = kd.list_devices("cpu")
mesh = kd.DeviceMesh(shape=(2, 4), axis_names=("batch", "model"), devices=devices)
layout_map = kd.LayoutMap(mesh)
layout_map["wide.*kernel"] = (None, "model")  # columns split over the 4 devices of the model axis
layout_map["wide.*bias"] = ("model",)
ref = pf.build_model(sys.argv[1])
sharded = pf.build_model(sys.argv[1], strategy=kd.ModelParallel(layout_map=layout_map, batch_dim_name="batch"))
replicated = pf.build_model(sys.argv[1], strategy=kd.DataParallel(devices=devices))
kernel = sharded.get_layer("wide_a").kernel.value
blocks = {}
for shard in kernel.addressable_shards:
    blocks[shard.index[1].start] = np.asarray(shard.data)
want = keras.ops.convert_to_numpy(ref.get_layer("wide_a").kernel)
with kd.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
    init = keras.initializers.HeNormal()  # one object on two layers, built sharded: the audit still sees it
    tied = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, kernel_initializer=init, name="wide_x"),
                             keras.layers.Dense(32, kernel_initializer=init, name="wide_y")])
print(json.dumps({
    "devices": len(devices),
    "spec": [str(p) for p in kernel.sharding.spec],
    "shards": len(kernel.addressable_shards),
    "blocks": len(blocks),
    "block_shapes": sorted({b.shape for b in blocks.values()}),
    "distinct_blocks": len({b.tobytes() for b in blocks.values()}),
    "blocks_are_the_undistributed_build": all(np.array_equal(b, want[:, s:s + b.shape[1]]) for s, b in blocks.items()),
    "sharded_equal": all(np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
                         for a, b in zip(sharded.weights, ref.weights)),
    "replicated_equal": all(np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
                            for a, b in zip(replicated.weights, ref.weights)),
    "replicated_full_copies": all(s.data.shape == want.shape
                                  for s in replicated.get_layer("wide_a").kernel.value.addressable_shards),
    "audit_sharded": [f.rule for f in pf.audit(sharded)],
    "audit_tied": sorted({f.rule for f in pf.audit(tied)}),
    "threefry_partitionable": bool(jax.config.jax_threefry_partitionable),
}))
"""
SHARDED_MODEL = """kind: model
version: 1
seed: 7
input: {shape: [16]}
layers:
  - {type: Dense, name: wide_a, units: 32}
  - {type: Dense, name: wide_b, units: 32}
"""


def test_keras_distribution_model_parallel_shards_the_undistributed_build(tmp_path):
    """On JAX with 8 virtual CPU devices (a 2 x 4 mesh): ModelParallel splits a kernel into 4 distinct column
    blocks that are the undistributed build's; DataParallel replicates it; the live audit reads both."""
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "jax":
        pytest.skip("keras.distribution runs on the JAX backend")
    model = tmp_path / "wide.yaml"
    model.write_text(SHARDED_MODEL)
    env = dict(os.environ, KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=8",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", KERAS_DISTRIBUTION, str(model)], capture_output=True, text=True,
                       cwd=ROOT, timeout=600, env=env)  # XLA_FLAGS must be set before jax is imported
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["devices"] == 8 and got["spec"] == ["None", "model"]
    assert got["shards"] == 8 and got["blocks"] == 4 and got["block_shapes"] == [[16, 8]]
    assert got["distinct_blocks"] == 4 and got["blocks_are_the_undistributed_build"]
    assert got["sharded_equal"] and got["replicated_equal"] and got["replicated_full_copies"]
    assert got["audit_sharded"] == [] and got["audit_tied"] == ["sharing-violation"]
