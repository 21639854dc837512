"""Differential property: whenever `validate` finds nothing, `build_model` builds; neither raises anything but ours.

Random model mappings over common layers and initializers, with valid and invalid
argument values mixed (sizes, rates, choices, non-finite numbers, names, dtypes,
shapes). A few hundred cases in `make test`, thousands in `make fuzz`.

`validate` checks values, names and sizes but does not infer tensor shapes: a null
feature axis (the last one) is left out here; Keras's refusal of such a model is a
`keras-error` finding at build (tests/test_modelfile.py checks that path).
"""

import math
import os

import keras
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyfactory as pf
from policyfactory.core.findings import PolicyfactoryError

LONG = os.environ.get("PF_FUZZ_LONG") == "1"
DIFF = settings(max_examples=3000 if LONG else 300, deadline=None, derandomize=not LONG,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

def mix(valid, invalid):
    """Mostly valid values, some invalid: most models get built, every kind of mistake still appears."""
    return st.one_of(valid, valid, valid, valid, valid, invalid)


NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])
NUMBERS = mix(st.floats(0.01, 2), st.one_of(st.integers(-3, 6), st.floats(-2, 3, allow_nan=False), NON_FINITE))
RATES = mix(st.floats(0, 0.9), st.one_of(st.floats(-1, 3), NON_FINITE))
UNITS = mix(st.integers(1, 6), st.integers(-2, 0))
SIZES = mix(st.integers(1, 3), st.one_of(st.integers(-2, 0), st.lists(st.integers(-1, 3), min_size=1, max_size=3)))
NAMES = mix(st.sampled_from(["enc", "head_1", "dense_x"]), st.sampled_from(["a/b", "", "x\x01", "input", "dense"]))
ACTIVATIONS = mix(st.sampled_from(["relu", "tanh", "linear", None]), st.just("bogus"))


@st.composite
def initializer(draw):
    name = draw(st.sampled_from(["he_normal", "glorot_uniform", "zeros", "orthogonal", "VarianceScaling",
                                 "RandomNormal", "Orthogonal", "Constant", "TruncatedNormal"]))
    if name[0].islower():
        return name
    config = {}
    if name == "VarianceScaling":
        config = {"scale": draw(NUMBERS), "mode": draw(mix(st.sampled_from(["fan_in", "fan_avg"]), st.just("bad"))),
                  "distribution": draw(mix(st.sampled_from(["normal", "uniform", "truncated_normal"]), st.just("poisson")))}
    elif name == "Orthogonal":
        config = {"gain": draw(NUMBERS)}
    elif name == "Constant":
        config = {"value": draw(NUMBERS)}
    elif name == "RandomNormal":
        config = {"mean": draw(NUMBERS), "stddev": draw(NUMBERS)}
    if draw(st.integers(0, 3)) == 0:
        config["seed"] = draw(st.integers(0, 3))
    return {"class_name": name, "config": config}


@st.composite
def layer(draw, rank):
    kind = draw(st.sampled_from(["Dense", "Dropout", "LayerNormalization", "BatchNormalization"]
                                + (["Conv1D", "LSTM", "GRU", "MaxPooling1D"] if rank == 2 else [])))
    entry = {"type": kind}
    if kind in ("Dense", "LSTM", "GRU"):
        entry["units"] = draw(UNITS)
        entry["activation"] = draw(ACTIVATIONS)
        entry["kernel_initializer"] = draw(initializer())
    if kind in ("LSTM", "GRU"):
        entry["dropout"] = draw(RATES)
        entry["return_sequences"] = True
    if kind == "Dropout":
        entry["rate"] = draw(RATES)
    if kind == "Conv1D":
        entry.update(filters=draw(UNITS), kernel_size=draw(SIZES),
                     padding=draw(mix(st.sampled_from(["valid", "same", "causal"]), st.just("full"))),
                     strides=draw(mix(st.integers(1, 2), st.one_of(st.integers(-1, 0), st.none()))))
    if kind == "MaxPooling1D":
        entry.update(pool_size=draw(SIZES), padding=draw(mix(st.sampled_from(["valid", "same"]), st.just("causal"))))
    if kind in ("LayerNormalization", "BatchNormalization"):
        entry["epsilon"] = draw(mix(st.floats(1e-6, 0.1), NUMBERS))
        if kind == "BatchNormalization":
            entry["momentum"] = draw(RATES)
    if draw(st.integers(0, 3)) == 0:
        entry["name"] = draw(NAMES)
    return entry


@st.composite
def graph_entry(draw):
    """An operation of the closed list (or one outside it), or a further call of a layer named as the layers above
    may be, with valid and invalid arguments mixed."""
    if draw(st.integers(0, 3)) == 0:
        return {"call": draw(st.sampled_from(["dense", "enc", "lstm", "conv1d", "dropout", "head_1"]))}
    op = draw(st.sampled_from(["add", "multiply", "subtract", "divide", "maximum", "relu", "hard_silu", "gelu", "abs",
                               "softmax", "mean", "sum", "concatenate", "reshape", "eval"]))
    entry: dict = {"op": op}
    if op in ("add", "multiply", "subtract", "divide", "maximum"):
        entry["value"] = draw(mix(st.floats(-2, 2), st.one_of(st.just("x"), NON_FINITE, st.none())))
        if draw(st.integers(0, 3)) == 0:
            entry["value_first"] = draw(mix(st.booleans(), st.just(1)))
    if op in ("softmax", "concatenate"):
        entry["axis"] = draw(mix(st.just(-1), st.integers(-4, 3)))
    if op in ("mean", "sum"):
        entry["axis"] = draw(mix(st.sampled_from([-1, 1, [1]]), st.one_of(st.none(), st.integers(-4, 3),
                                                                         st.lists(st.integers(-3, 3), max_size=2))))
        entry["keepdims"] = draw(mix(st.booleans(), st.just("yes")))
    if op == "reshape":
        entry["newshape"] = draw(st.sampled_from([[-1, 30], [-1, 6], [-1, 5, 6], [-1, 3, 2], [-1, 2, 3, 5], [2, -1],
                                                  [-1, -1], [-1, 0], [-1, 7]]))
    if op == "gelu":
        entry["approximate"] = draw(mix(st.booleans(), st.just(0)))
    return entry


@st.composite
def model(draw):
    rank = draw(st.sampled_from([1, 2]))
    shape = [6] if rank == 1 else [5, 6]
    if draw(st.integers(0, 9)) == 0:  # a bad first dimension; a null one only where it is not the feature axis
        shape = [draw(st.sampled_from([-1, 0, None] if rank == 2 else [-1, 0]))] + shape[1:]
    entries = st.one_of(layer(rank), layer(rank), graph_entry())
    spec = {"kind": "model", "version": 1, "input": {"shape": shape}, "layers": draw(st.lists(entries, min_size=1,
                                                                                               max_size=4))}
    if draw(st.integers(0, 4)) == 0:
        spec["input"]["dtype"] = draw(st.sampled_from(["float32", "float16", "notadtype", "int32"]))
    if draw(st.integers(0, 4)) == 0:
        spec["name"] = draw(NAMES)
    return spec


@DIFF
@given(model())
def test_whatever_validate_passes_build_builds(spec):
    findings = pf.validate(spec)  # never raises for a mapping of plain data
    if any(f.severity == "error" for f in findings):
        return
    try:
        built = pf.build_model(spec)
    except PolicyfactoryError as exc:
        raise AssertionError(f"validate passed but build refused: {exc}") from None
    assert isinstance(built, keras.Model)


# -- the whole catalog: every layer type, wrapper and component, random configs (tests/randmodels.py) -----------------

CATALOG = settings(max_examples=2000 if LONG else 60, deadline=None, derandomize=not LONG,
                   suppress_health_check=[HealthCheck.too_slow])


@CATALOG
@given(st.integers(0, 2**30 - 1))  # benchmarks/bench_differential.py draws from 10**9 up: seeds the tests never use
def test_whatever_validate_passes_build_builds_over_the_catalog(seed):
    from randmodels import random_model

    spec = random_model(seed)
    if any(f.severity == "error" for f in pf.validate(spec)):
        return
    try:
        built = pf.build_model(spec)
    except PolicyfactoryError as exc:
        raise AssertionError(f"seed {seed}: validate passed but build refused: {exc}\n{spec}") from None
    assert isinstance(built, keras.Model)
    keras.backend.clear_session()
