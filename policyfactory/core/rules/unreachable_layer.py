"""`unreachable-layer`: a layer of a functional model that no output depends on.

Owns its check: the layers each output depends on, followed back through
`inputs:` (a layer without `inputs:` takes the layer before it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..findings import Finding
from ..ruletype import WARNING, Rule
from ..text import shown

if TYPE_CHECKING:
    from ..modelfile import ModelSpec
    from ..plan import Plan

UNREACHABLE_LAYER = Rule(
    "unreachable-layer", WARNING,
    "A layer of a functional model that no output depends on.",
    "Keras builds a functional model from its outputs back to its inputs, so a layer that feeds "
    "no output is silently left out of the built model, with its weights. That is usually a "
    "wiring mistake: a misspelt `inputs:` reference, or an output that names an input instead "
    "of the last layer.",
    bad="inputs: {x: {shape: [4]}}\nlayers:\n  - {type: Dense, name: a, units: 2}\noutputs: [x]\n",
    good="inputs: {x: {shape: [4]}}\nlayers:\n  - {type: Dense, name: a, units: 2}\noutputs: [a]\n",
    fix="List the layer under outputs:, feed it to a layer that is, or remove it.",
)


@UNREACHABLE_LAYER.check
def unreachable(spec: ModelSpec, plan: Plan) -> Iterator[Finding]:
    if spec.inputs is None:
        return  # a sequential model: every layer feeds the next
    inputs = list(spec.inputs)
    deps: dict[str, list[str]] = {}
    last = inputs[0] if len(inputs) == 1 else None
    for node in spec.layers:
        deps[node.name] = node.inputs or ([last] if last else [])
        last = node.name
    stack = list(spec.outputs or ([last] if last else []))
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack.extend(deps.get(name, ()))
    used = seen | {node.of for node in spec.layers if node.kind == "call" and node.name in seen}
    for node in spec.layers:
        if node.name not in used:  # a layer whose later call feeds an output is in the model
            line, column = node.mark
            what = "layer" if node.is_layer else "operation" if node.kind == "op" else "call"
            yield Finding(spec.file, line, column, UNREACHABLE_LAYER,
                          f"{what} {shown(node.name)} feeds no model output, so Keras would leave it out of the model "
                          f"(list it under 'outputs:' or feed it to a layer that is)")
