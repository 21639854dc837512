"""Where a built Keras layer keeps the component of each slot.

Keras stores slot components on the layer (`Dense.kernel_initializer`), on its
cell (`LSTM.cell.kernel_initializer`) or under a private name
(`MultiHeadAttention._kernel_initializer`). The factory uses this to put shared
instances back into copies Keras makes; the audit uses it to read them.
"""

from __future__ import annotations

from typing import Any


def slot_holder(layer: Any, arg: str) -> tuple[Any, str] | None:
    """(object, attribute) that holds slot `arg` of `layer`, or None."""
    cell = getattr(layer, "cell", None)
    for obj in ((cell, layer) if cell is not None else (layer,)):
        d = getattr(obj, "__dict__", {})
        for attr in (arg, "_" + arg):
            if attr in d:
                return obj, attr
    return None
