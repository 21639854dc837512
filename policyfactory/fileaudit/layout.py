"""Which variable of a Keras layer each initializer slot makes, and in which order Keras saves them.

A `.keras` file stores a layer's variables by index (`vars/0`, `vars/1` ...) in
the order Keras creates them (trainable first, then non-trainable). To name them
and to know the initializer behind each (so deterministic ones are skipped), the
audit needs that order for the built-in layers that hold variables; the config
says which optional ones exist (`use_bias`, `center`, `scale` ...). A count that
does not fit leaves the variables unnamed rather than guessing.
`tests/test_fileaudit.py` checks this table against the installed Keras.

    >>> variable_names("Dense", {"use_bias": False}, 1)
    ['kernel']
    >>> variable_names("BatchNormalization", {"center": True, "scale": False}, 3)
    ['beta', 'moving_mean', 'moving_variance']
    >>> variable_names("Dense", {}, 3) is None
    True
    >>> slot_of("recurrent_kernel", {"kernel_initializer", "recurrent_initializer"})
    'recurrent_initializer'
    >>> slot_of("kernel", {"depthwise_initializer", "bias_initializer"})
    'depthwise_initializer'
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

Condition = Callable[[dict], bool] | None


def _flag(key: str, default: bool = True) -> Callable[[dict], bool]:
    return lambda cfg: bool(cfg.get(key, default))


_USE_BIAS = _flag("use_bias")
_KERNEL_BIAS: list[tuple[str, Condition]] = [("kernel", None), ("bias", _USE_BIAS)]
_RECURRENT: list[tuple[str, Condition]] = [("kernel", None), ("recurrent_kernel", None), ("bias", _USE_BIAS)]
_NORM: list[tuple[str, Condition]] = [("gamma", _flag("scale")), ("beta", _flag("center"))]

# class -> its own variables in the order Keras saves them, each with the config condition for it to exist.
VARIABLES: dict[str, list[tuple[str, Condition]]] = {
    "Dense": _KERNEL_BIAS,
    "EinsumDense": [("kernel", None), ("bias", lambda cfg: bool(cfg.get("bias_axes")))],
    **dict.fromkeys(("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                     "DepthwiseConv1D", "DepthwiseConv2D"), _KERNEL_BIAS),
    "SeparableConv1D": [("depthwise_kernel", None), ("pointwise_kernel", None), ("bias", _USE_BIAS)],
    "SeparableConv2D": [("depthwise_kernel", None), ("pointwise_kernel", None), ("bias", _USE_BIAS)],
    "BatchNormalization": [*_NORM, ("moving_mean", None), ("moving_variance", None)],
    "LayerNormalization": [("gamma", _flag("scale")),
                           ("beta", lambda cfg: bool(cfg.get("center", True)) and not cfg.get("rms_scaling"))],
    "GroupNormalization": _NORM,
    "Embedding": [("embeddings", None)],
    "ReversibleEmbedding": [("embeddings", None), ("reverse_embeddings", lambda cfg: not cfg.get("tie_weights", True))],
    "PReLU": [("alpha", None)],
    **dict.fromkeys(("LSTMCell", "GRUCell", "SimpleRNNCell", "ConvLSTMCell"), _RECURRENT),
}

# A layer whose variables live in child layers that its config does not list: the child's layout,
# read with the parent's config (an LSTM's cell takes the LSTM's initializers; attention projections
# take the attention layer's).
CHILD_LAYOUTS: dict[str, str] = {
    "LSTM": "LSTMCell", "GRU": "GRUCell", "SimpleRNN": "SimpleRNNCell",
    "ConvLSTM1D": "ConvLSTMCell", "ConvLSTM2D": "ConvLSTMCell", "ConvLSTM3D": "ConvLSTMCell",
    "MultiHeadAttention": "_Projection", "GroupQueryAttention": "_Projection",
}
VARIABLES["_Projection"] = _KERNEL_BIAS

# variable name -> the slots that may initialize it, first present wins
_SLOTS_OF = {
    "kernel": ("kernel_initializer", "depthwise_initializer"),
    "recurrent_kernel": ("recurrent_initializer",),
    "depthwise_kernel": ("depthwise_initializer",),
    "pointwise_kernel": ("pointwise_initializer",),
    "reverse_embeddings": ("embeddings_initializer",),
}

# Variables that hold running statistics or affine terms of a normalization: never drawn from a random stream.
STATISTICS = frozenset({"moving_mean", "moving_variance", "gamma", "beta"})


def variable_names(class_name: str, config: dict[str, Any], count: int) -> list[str] | None:
    """The names of a layer's `count` saved variables, or None when the layout does not fit."""
    layout = VARIABLES.get(class_name)
    if layout is None:
        return None
    names = [name for name, cond in layout if cond is None or cond(config)]
    return names if len(names) == count else None


def slot_of(variable: str, slots: Collection[str]) -> str | None:
    """The initializer slot (constructor argument) that made a variable, among the layer's `slots`."""
    for arg in (f"{variable}_initializer", *_SLOTS_OF.get(variable, ())):
        if arg in slots:
            return arg
    return None
