"""A lower bound on each layer's weights, from its arguments and the widths that can be known without Keras.

Why: `units: 10000000000` is a valid integer, and `build` would try to allocate
40 GB before Keras could refuse it. `validate` estimates what the common
weight-holding layers need -- from their own sizes and the width of their
input where the file states it (the model input, or a previous layer's units)
-- and reports a layer over the budget (`--max-params`) before anything is
built. Unknown widths count as 1, so the estimate never exceeds the truth.

    >>> layer_params("Dense", {"units": 10}, 4)
    50
    >>> output_shape("Conv1D", {"filters": 8, "kernel_size": 3}, [10, 4])
    [8, 8]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .layerinfo import output_axes, output_rank, output_width, probe, probed_weights
from .text import shown


def _int(args: dict, name: str, default: int = 1) -> int:
    v = args.get(name, default)
    return v if isinstance(v, int) and not isinstance(v, bool) and v > 0 else default


def _kernel(args: dict) -> int:
    k = args.get("kernel_size", 1)
    items = k if isinstance(k, list) else [k]
    return math.prod(v for v in items if isinstance(v, int) and not isinstance(v, bool) and v > 0) or 1


def _recurrent(gates: int) -> Callable[[dict, int], int]:
    def count(args: dict, n_in: int) -> int:
        units = _int(args, "units")
        return gates * units * (n_in + units + 1)
    return count


_ESTIMATES: dict[str, Any] = {
    "Dense": lambda a, n: n * _int(a, "units") + _int(a, "units"),
    "Embedding": lambda a, n: _int(a, "input_dim") * _int(a, "output_dim"),
    "LSTM": _recurrent(4), "LSTMCell": _recurrent(4),
    "GRU": _recurrent(3), "GRUCell": _recurrent(3),
    "SimpleRNN": _recurrent(1), "SimpleRNNCell": _recurrent(1),
    "MultiHeadAttention": lambda a, n: 4 * _int(a, "num_heads") * _int(a, "key_dim") * n,
    "DepthwiseConv1D": lambda a, n: _kernel(a) * n * _int(a, "depth_multiplier"),
    "DepthwiseConv2D": lambda a, n: _kernel(a) * n * _int(a, "depth_multiplier"),
}
for _conv in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
    _ESTIMATES[_conv] = lambda a, n: _kernel(a) * n * _int(a, "filters") + _int(a, "filters")
for _conv in ("SeparableConv1D", "SeparableConv2D"):
    _ESTIMATES[_conv] = lambda a, n: _kernel(a) * n * _int(a, "depth_multiplier") \
        + n * _int(a, "depth_multiplier") * _int(a, "filters")
for _conv in ("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"):
    _ESTIMATES[_conv] = lambda a, n: 4 * _kernel(a) * (n + _int(a, "filters")) * _int(a, "filters")

def layer_params(layer_type: str, args: dict, n_in: int | None) -> int:
    """A lower bound on the weights of one layer: a formula for the layers whose size arguments scale them, else
    the weights Keras was probed to make for the layer type (policyfactory/core/layerinfo.py)."""
    estimate = _ESTIMATES.get(layer_type)
    return int(estimate(args, n_in or 1)) if estimate else probed_weights(layer_type, args, n_in)


Shape = list  # dimensions without the batch axis; None where unknown


def _known(shape: Shape | None) -> bool:
    return bool(shape) and all(isinstance(d, int) and d > 0 for d in shape or ())


def _per_axis(value: Any, n: int) -> list | None:
    """A window argument (int, or a list of one int per spatial axis) as n ints, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return [value] * n
    if isinstance(value, list) and len(value) == n and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return list(value)
    return None


def _pooled(layer_type: str, shape: Shape, args: dict) -> Shape:
    """Spatial dimensions after a pooling or convolution window, as Keras computes them (None where
    they cannot be known). A dimension under 1 is what Keras refuses: `window_problem` names it."""
    n = len(shape) - 1
    pooling = "Pooling" in layer_type
    if args.get("data_format") == "channels_first" or _rank_of(layer_type) not in (None, n):
        return [None] * n
    window = _per_axis(args.get("pool_size", 2) if pooling else args.get("kernel_size"), n)
    strides = args.get("strides")
    strides = _per_axis(strides if strides is not None else (window if pooling else 1), n) if window else None
    dilation = [1] * n if pooling else _per_axis(args.get("dilation_rate", 1), n)
    padding = args.get("padding", "valid")
    if window is None or strides is None or dilation is None or padding not in ("valid", "same", "causal") \
            or any(v < 1 for v in window + strides + dilation):
        return [None] * n
    out: list = []
    for size, k, s, d in zip(shape[:-1], window, strides, dilation):
        if not isinstance(size, int) or isinstance(size, bool):
            out.append(None)
        elif padding == "valid":
            out.append((size - (k - 1) * d - 1) // s + 1)
        else:  # same, causal: every input position starts a window
            out.append(-(-size // s))
    return out


def _rank_of(layer_type: str) -> int | None:
    """The number of spatial axes a window layer takes (Conv2D: 2), or None."""
    for n in (1, 2, 3):
        if f"{n}D" in layer_type:
            return n
    return None


def window_problem(layer_type: str, args: dict, shape: Shape | None) -> str | None:
    """Why Keras would refuse a window layer on an input of `shape`: an output dimension under 1."""
    if shape and layer_type in _EDGES and _EDGES[layer_type][2] < 0:
        return _cropping_problem(layer_type, args, shape)
    if layer_type.startswith("ConvLSTM") and shape and len(shape) >= 3:  # each step: a convolution of its axes
        return window_problem(layer_type.replace("ConvLSTM", "Conv"), args, shape[1:])
    if not shape or len(shape) < 2 or "Transpose" in layer_type or not _windowed(layer_type):
        return None
    out = _pooled(layer_type, shape, args)
    bad = [i for i, d in enumerate(out) if isinstance(d, int) and d < 1]
    if not bad:
        return None
    window = "pool_size" if "Pooling" in layer_type else "kernel_size"
    return (f"its output would have size {out[bad[0]]} on axis {bad[0] + 1}: the input is {shape[bad[0]]} long there, "
            f"shorter than the {window} window with padding {shown(args.get('padding', 'valid'))} "
            f"(use a smaller window or padding: same)")


# Layers that add (padding) or remove (cropping) values at both ends of each spatial axis: (argument, axes, sign).
_EDGES = {"Cropping1D": ("cropping", 1, -1), "Cropping2D": ("cropping", 2, -1), "Cropping3D": ("cropping", 3, -1),
          "ZeroPadding1D": ("padding", 1, 1), "ZeroPadding2D": ("padding", 2, 1), "ZeroPadding3D": ("padding", 3, 1)}


# Layers whose output shape output_shape() gives exactly from their arguments (the probes leave their rank unknown
# once an argument changes it): its length is their output rank.
# sizes made whatever the input's size: height and width, or adaptive pooling's output_size on each of its axes
_SIZED = frozenset({"CenterCrop", "RandomCrop", "Resizing",
                    *(f"Adaptive{kind}Pooling{n}D" for kind in ("Average", "Max") for n in (1, 2, 3))})
SHAPED_BY_ARGUMENTS = frozenset({"Flatten", "Reshape", "Permute", *_EDGES, *_SIZED})


def _whole(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sides(layer_type: str, args: dict) -> list[tuple[int, int]] | None:
    """The (before, after) amounts on each spatial axis, as Keras reads the argument (its default where not given):
    one int for every side; for 1-D a pair (before, after); else one int per axis (both sides) or one pair per axis.
    None for anything else (the schema or Keras speaks about it)."""
    from .catalog import catalog

    arg, n, _ = _EDGES[layer_type]
    lt = catalog().layer(layer_type)
    value: Any = args.get(arg, lt.params.get(arg, {}).get("default") if lt is not None else None)
    if _whole(value):
        return [(value, value)] * n
    if not isinstance(value, list):
        return None
    if n == 1:
        return [(value[0], value[1])] if len(value) == 2 and all(_whole(v) for v in value) else None
    if len(value) != n:
        return None
    if all(_whole(v) for v in value):
        return [(v, v) for v in value]
    if all(isinstance(v, list) and len(v) == 2 and all(_whole(x) for x in v) for v in value):
        return [(v[0], v[1]) for v in value]
    return None


def _edged(layer_type: str, args: dict, shape: Shape) -> Shape | None:
    """A padding or cropping layer's output: each spatial axis longer (shorter) by its two sides."""
    _, n, sign = _EDGES[layer_type]
    sides = _sides(layer_type, args)
    if sides is None or len(shape) != n + 1:
        return None
    first = 1 if args.get("data_format") == "channels_first" else 0
    out = list(shape)
    for i, (a, b) in enumerate(sides):
        d = shape[first + i]
        out[first + i] = d + sign * (a + b) if isinstance(d, int) else None
    return out


def _sized(layer_type: str, args: dict, shape: Shape) -> Shape | None:
    """CenterCrop, RandomCrop, Resizing and adaptive pooling: their sizes where the probe saw Keras put them for an
    input of this rank and data format (its `sized` templates: on an image, (height, width, channels);
    AdaptiveMaxPooling2D(output_size=1) on (8, 4) makes (1, 1, 4))."""
    fmt = "channels_first" if args.get("data_format") == "channels_first" else "channels_last"
    template = probe(layer_type).get("sized", {}).get(fmt, {}).get(str(len(shape)))
    if template is None:
        return None
    out = [shape[t] if isinstance(t, int) else _size(args, t, sum(isinstance(u, str) for u in template))
           for t in template]
    return out if all(d is not None for d in out) else None


def _size(args: dict, token: str, n: int) -> int | None:
    """The size a template token stands for: `height`, `width`, or the I-th of `n` output sizes (one number for
    every axis, or one per axis); None where the file gives no whole number above 0 there."""
    name, _, index = token.partition(":")
    value = args.get(name)
    if index and isinstance(value, list):
        value = value[int(index)] if len(value) == n else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _cropping_problem(layer_type: str, args: dict, shape: Shape) -> str | None:
    """A cropping that leaves nothing of a spatial axis (Keras refuses when both sides crop the whole axis)."""
    out = _edged(layer_type, args, shape)
    bad = next((i for i, d in enumerate(out or []) if isinstance(d, int) and d < 1), None)
    if out is None or bad is None:
        return None  # a rank Keras refuses anyway (the rank check speaks), or a cropping not read here
    cropping = args.get("cropping", _sides(layer_type, {}))
    return (f"its cropping {cropping} removes {shape[bad] - out[bad]} of the {shape[bad]} values on axis {bad + 1}: "
            f"Keras needs at least one left (crop less)")


def _windowed(layer_type: str) -> bool:
    return (("Pooling" in layer_type and not layer_type.startswith(("Global", "Adaptive")))
            or (layer_type[:4] in ("Conv", "Sepa", "Dept") and "LSTM" not in layer_type))


def output_shape(layer_type: str, args: dict, shape: Shape | None, n_inputs: int = 1) -> Shape | None:
    """The layer's output shape (without the batch axis) as far as the file states it, else None.

    From the probed table (core/layerinfo.py): the width rule of each layer type (the input's, an argument's,
    a fixed size), whether the axes before it are the input's, the output rank; window arithmetic for the
    layers that slide a window; Flatten and Reshape from their sizes."""
    if not shape:
        return None
    if layer_type == "Flatten":
        return [math.prod(shape)] if _known(shape) else None
    if layer_type == "Reshape":
        return _reshaped(args.get("target_shape"), shape)
    if layer_type == "Permute":
        return _permuted(args.get("dims"), shape)
    if layer_type in _EDGES:
        return _edged(layer_type, args, shape)
    if layer_type in _SIZED:
        return _sized(layer_type, args, shape)
    width = output_width(layer_type, args, shape[-1])
    if _windowed(layer_type) and "Transpose" not in layer_type:
        return _pooled(layer_type, shape, args) + [width]
    axes = output_axes(layer_type, args)
    rank = output_rank(layer_type, n_inputs, len(shape), args)
    if axes == "same" and rank == len(shape):
        return list(shape[:-1]) + [width]
    if axes == "appended" and rank == len(shape) + 1:
        return list(shape) + [width]
    return [None] * (rank - 1) + [width] if rank else None


def _permuted(dims: Any, shape: Shape) -> Shape | None:
    """Permute's output: the input's axes in the order of dims (1-based), when dims orders them all."""
    whole = isinstance(dims, list) and all(_whole(d) for d in dims)
    return [shape[d - 1] for d in dims] if whole and sorted(dims) == list(range(1, len(shape) + 1)) else None


def _reshaped(target: Any, shape: Shape) -> Shape | None:
    """Reshape's output: its target_shape, a -1 in it filled from the input's size where that is known."""
    if not isinstance(target, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in target):
        return None
    if -1 not in target:
        return list(target) if all(d > 0 for d in target) else None
    known = math.prod(d for d in target if d != -1)
    if not _known(shape) or target.count(-1) != 1 or known < 1 or math.prod(shape) % known:
        return [d if d != -1 else None for d in target]
    return [d if d != -1 else math.prod(shape) // known for d in target]
