"""Export -> validate -> build, and what a user compares: parameters, weights, outputs on the same input.

Shared by tests/test_export.py (a representative subset) and benchmarks/bench_export.py (every
keras.applications model). Weights are copied layer by layer, by name, from the original into the built model
(nested models' layers are written in their place by export, so they are matched by their own names).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import keras
import numpy as np

import policyfactory as pf
from policyfactory.keras_side.export import export_result

# The smallest input each keras.applications model takes with weights=None (32x32 unless named here).
SMALL_INPUTS = {"InceptionV3": (75, 75, 3), "InceptionResNetV2": (75, 75, 3), "Xception": (71, 71, 3),
                "NASNetMobile": (224, 224, 3), "NASNetLarge": (331, 331, 3)}


def application_names() -> list[str]:
    apps = keras.applications
    return sorted(n for n in dir(apps) if n[:1].isupper() and callable(getattr(apps, n)))


def application(name: str) -> keras.Model:
    return getattr(keras.applications, name)(weights=None, input_shape=SMALL_INPUTS.get(name, (32, 32, 3)))


@dataclass
class RoundTrip:
    """What export -> validate -> build gave, against the original model."""

    params: tuple[int, int]
    weights: tuple[list, list]  # (layer name, weight shapes) of every layer with weights, sorted
    outputs: tuple[object, object]  # output shapes
    max_diff: float  # largest difference of the outputs on one input, weights copied
    layers: int  # entries of the model file
    validate_findings: list
    built: keras.Model

    @property
    def same(self) -> bool:
        return (self.params[0] == self.params[1] and self.weights[0] == self.weights[1]
                and self.outputs[0] == self.outputs[1] and self.max_diff <= 1e-4)


def leaves(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from leaves(layer)
        elif layer.weights:
            yield layer


def weight_table(model: keras.Model) -> list:
    return sorted((layer.name, [tuple(w.shape) for w in layer.weights]) for layer in leaves(model))


def round_trip(model: keras.Model, folder: str | None = None) -> RoundTrip:
    """Export the live model, validate the file, build it, copy the weights in and compare."""
    folder = folder or tempfile.mkdtemp()
    path = os.path.join(folder, f"{model.name}.yaml")
    exported = export_result(model)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(exported.text)
    findings = pf.validate(path)
    built = pf.build_model(path)
    for layer in leaves(model):
        built.get_layer(layer.name).set_weights(layer.get_weights())
    shapes = model.input_shape if isinstance(model.input_shape, list) else [model.input_shape]
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(2, *s[1:])).astype("float32") for s in shapes]
    a, b = model(xs if len(xs) > 1 else xs[0]), built(xs if len(xs) > 1 else xs[0])
    a, b = (a if isinstance(a, (list, tuple)) else [a]), (b if isinstance(b, (list, tuple)) else [b])
    diff = max(float(np.max(np.abs(keras.ops.convert_to_numpy(x) - keras.ops.convert_to_numpy(y))))
               for x, y in zip(a, b))
    return RoundTrip((model.count_params(), built.count_params()), (weight_table(model), weight_table(built)),
                     (model.output_shape, built.output_shape), diff, exported.layers, findings, built)
