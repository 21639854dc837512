"""Which variable of a Keras layer each initializer slot makes, and in which order Keras saves them.

A `.keras` file stores a layer's variables by index (`vars/0`, `vars/1` ...) in
the order Keras creates them (trainable first, then non-trainable). To name them
and to know the initializer behind each (so deterministic ones are skipped), the
audit needs that order for the built-in layers that hold variables; the config
says which optional ones exist (`use_bias`, `center`, `scale` ...). A count that
does not fit leaves the variables unnamed rather than guessing. The order, the
flags that drop or add variables and the slot making each are probed from Keras
into the catalog (`variables` of each layer's probe, read by core/layerinfo.py);
`tests/test_fileaudit.py` checks them against the installed Keras.

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

from collections.abc import Collection

from ..core.layerinfo import CHILD_LAYOUTS, made_by, variable_names

__all__ = ["CHILD_LAYOUTS", "STATISTICS", "slot_of", "variable_names"]

# variable name -> the slots that may initialize it where the probe does not tell (a child layout such as an
# attention projection), first present wins
_SLOTS_OF = {
    "kernel": ("kernel_initializer", "depthwise_initializer"),
    "recurrent_kernel": ("recurrent_initializer",),
    "depthwise_kernel": ("depthwise_initializer",),
    "pointwise_kernel": ("pointwise_initializer",),
    "reverse_embeddings": ("embeddings_initializer",),
}

# Variables that hold running statistics or affine terms of a normalization: never drawn from a random stream.
STATISTICS = frozenset({"moving_mean", "moving_variance", "gamma", "beta"})


def slot_of(variable: str, slots: Collection[str], layer_type: str | None = None) -> str | None:
    """The initializer slot (constructor argument) that made a variable, among the layer's `slots`: as probed for
    `layer_type`, else by name."""
    probed = made_by(layer_type, variable)
    if probed is not None and probed in slots:
        return probed
    for arg in (f"{variable}_initializer", *_SLOTS_OF.get(variable, ())):
        if arg in slots:
            return arg
    return None
