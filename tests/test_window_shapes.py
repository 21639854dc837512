"""validate's window arithmetic (pooling and convolution outputs) against the installed Keras itself."""

import itertools

import keras
import pytest

from policyfactory.core.params import output_shape, window_problem

CASES = [
    (layer, length, window, strides, padding, dilation)
    for layer, length, window, strides, padding, dilation in itertools.product(
        ["MaxPooling1D", "AveragePooling1D", "Conv1D", "SeparableConv1D", "DepthwiseConv1D"],
        [1, 2, 5, 7], [1, 2, 3], [None, 1, 2, 3], ["valid", "same", "causal"], [1, 2])
    if not (padding == "causal" and layer != "Conv1D")
    and not (dilation > 1 and (layer.endswith("Pooling1D") or (strides or 1) > 1))
]


def keras_output(layer, length, window, strides, padding, dilation):
    """Keras's output length, or None when Keras refuses the input."""
    args = {"padding": padding}
    if layer.endswith("Pooling1D"):
        args.update(pool_size=window, strides=strides)
    else:
        args.update(kernel_size=window, strides=strides or 1, dilation_rate=dilation)
        if layer != "DepthwiseConv1D":
            args["filters"] = 2
    try:
        out = getattr(keras.layers, layer)(**args)(keras.Input((length, 3)))
    except Exception:
        return None
    return out.shape[1] if out.shape[1] and out.shape[1] > 0 else None


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_window_output_and_refusal_match_keras(case):
    layer, length, window, strides, padding, dilation = case
    args = {"padding": padding}
    if layer.endswith("Pooling1D"):
        args.update(pool_size=window, **({"strides": strides} if strides is not None else {}))
    else:
        args.update(kernel_size=window, strides=strides or 1, dilation_rate=dilation, filters=2)
    expected = keras_output(*case)
    problem = window_problem(layer, args, [length, 3])
    assert (problem is not None) == (expected is None), (problem, expected)
    if expected is not None:
        assert output_shape(layer, args, [length, 3])[0] == expected
