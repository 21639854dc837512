"""build_model and the factory under tf.distribute.MirroredStrategy over two logical CPU devices."""

import json
import os
import subprocess
import sys

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
    r = subprocess.run([sys.executable, "-c", SCRIPT, os.path.join(EXAMPLES, "forecaster.yaml")],
                       capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["replicas"] == 2
    assert got["variable_types"] == ["MirroredVariable"]
    assert got["shared"] and got["factory_shared"] and got["refused_on_dense"]
    assert got["replicas_equal"] and got["same_as_without_strategy"]
