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


EDGE_CASES = [(layer, amount, fmt) for layer, n in (("ZeroPadding1D", 1), ("Cropping1D", 1), ("ZeroPadding2D", 2),
                                                    ("Cropping2D", 2), ("ZeroPadding3D", 3), ("Cropping3D", 3))
              for amount in ([None, 0, 1, 2] + ([[0, 2], [1, 3]] if n == 1 else [[1] * n, list(range(1, n + 1)),
                                                                                 [[0, 1]] * n, [[1, 2]] * n]))
              for fmt in ((None,) if n == 1 else (None, "channels_first"))]


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: "-".join(map(str, c)))
def test_padding_and_cropping_shapes_match_keras(case):
    """Found by make fuzz (seed 48): after ZeroPadding2D validate did not know the shape, so a Reshape that cannot
    hold it validated. Padding and cropping outputs, and cropping's refusals, against Keras on a 4-long input."""
    layer, amount, fmt = case
    n = int(layer[-2])
    arg = "padding" if layer.startswith("Zero") else "cropping"
    args = ({arg: amount} if amount is not None else {}) | ({"data_format": fmt} if fmt else {})
    shape = [4] * n + [3] if fmt != "channels_first" else [3] + [4] * n
    try:
        out = getattr(keras.layers, layer)(**args)(keras.Input(tuple(shape)))
        expected = [int(d) for d in out.shape[1:]]
    except ValueError:
        expected = None
    assert output_shape(layer, args, shape) == expected or (expected is None and window_problem(layer, args, shape))
    assert (window_problem(layer, args, shape) is None) == (expected is not None)


@pytest.mark.parametrize("layer", ["CenterCrop", "RandomCrop", "Resizing"])
@pytest.mark.parametrize(("shape", "fmt"), [((6, 8, 8), None), ((8, 6, 8), "channels_first"), ((1, 2, 5), None)])
def test_an_image_made_height_by_width_has_the_shape_keras_gives(layer, shape, fmt):
    """Found by make fuzz (seed 23256): after CenterCrop validate did not know the shape, so a 3x3 Conv2D on its
    2x3 output validated. CenterCrop, RandomCrop and Resizing give height x width, against Keras."""
    args = {"height": 2, "width": 3} | ({"data_format": fmt} if fmt else {})
    out = getattr(keras.layers, layer)(**args)(keras.Input(shape))
    assert output_shape(layer, args, list(shape)) == [int(d) for d in out.shape[1:]]
