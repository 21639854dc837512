"""`backend-layer`: a layer, or an argument value, that Keras does not build on the backend the model is checked for.

Owns its check: every layer entry (wrapped layers included) against the catalog's measured facts
(`catalog.json` "backends", written by scripts/gen_catalog.py `backend_facts` and re-measured on JAX and
PyTorch by tests/test_backends.py): the layer types that need TensorFlow, and the argument values a
backend refuses. The backend is the one `core/backend.py` finds (`--backend`, `KERAS_BACKEND`, the
`backend` setting, keras.json, tensorflow), so on the TensorFlow backend this rule never fires.

Its category is `policy` so that a project may lower it (`[tool.policyfactory.severity]
backend-layer = "warning"`) or drop it (`ignore`), for instance when the layer is meant to run eagerly
or in the input pipeline: an `invalid` finding could not be lowered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..backend import DEFAULT_BACKEND, current_backend
from ..catalog import catalog
from ..findings import Finding
from ..ruletype import POLICY, Rule
from ..text import shown

if TYPE_CHECKING:
    from ..modelfile import LayerNode, ModelSpec
    from ..plan import Plan

BACKEND_LAYER = Rule(
    "backend-layer", POLICY,
    "A layer, or an argument value, that Keras does not build on the Keras backend the model is checked for.",
    "Keras 3 runs on TensorFlow, JAX and PyTorch, but not every layer does: StringLookup, IntegerLookup, "
    "Hashing, HashedCrossing and TextVectorization use TensorFlow inside (without it installed Keras refuses "
    "to make them, and on another backend they cannot run in the model's compiled graph), and "
    "BatchNormalization(synchronized=True) is refused on JAX and PyTorch, Discretization(sparse=True) on PyTorch. "
    "The backend is found as Keras finds it "
    "(`--backend`, `KERAS_BACKEND`, the `backend` setting, `keras.json`, else tensorflow), so validate still "
    "predicts what build does there. Its severity is the project's choice: a layer meant for the input "
    "pipeline may be lowered to a warning.",
    bad="inputs:\n"
        "  words: {shape: [3], dtype: string}\n"
        "layers:\n"
        "  - {type: StringLookup, name: ids, inputs: [words], vocabulary: [a, b, c]}\n"
        "  - {type: Embedding, inputs: [ids], input_dim: 5, output_dim: 4}\n"
        "outputs: [embedding]\n",
    good="inputs:\n"
         "  ids: {shape: [3], dtype: int32}\n"
         "layers:\n"
         "  - {type: Embedding, inputs: [ids], input_dim: 5, output_dim: 4}\n"
         "outputs: [embedding]\n",
    fix="Build on the tensorflow backend, or do the lookup in the input pipeline (tf.data) and give the model ids; "
        "where the layer is meant to run eagerly, lower the rule's severity (an argument value refused: leave it out).",
)


def _refusals(node: LayerNode, type_name: str, backend: str) -> Iterator[tuple[str, str]]:
    """Why `backend` does not build this layer (Keras's own words), and what to do, one reason at a time."""
    cat = catalog()
    if type_name in cat.needs_tensorflow:
        yield (f"{type_name} needs TensorFlow: Keras makes it only with TensorFlow installed, and on the {backend} "
               f"backend it cannot run in the model's compiled graph (Keras: {shown(cat.needs_tensorflow[type_name])})",
               BACKEND_LAYER.fix)
    for refused in cat.refused_arguments.get(backend, {}).get(type_name, []):
        arg, value = refused["argument"], str(refused["value"]).lower()
        if arg in node.args and node.args[arg] == refused["value"]:
            yield (f"{type_name} {arg}: {value} is refused on the {backend} backend (Keras: {shown(refused['message'])})",
                   f"Leave out {arg}: {value} on the {backend} backend, or build on the tensorflow backend; where the "
                   f"model is built only on TensorFlow, choose that backend (--backend tensorflow) or lower the rule.")


@BACKEND_LAYER.check
def backend_refusals(spec: ModelSpec, plan: Plan) -> Iterator[Finding]:
    backend = current_backend()
    if backend.name == DEFAULT_BACKEND:
        return
    cat = catalog()
    for node in spec.nodes():
        lt = cat.layer(node.type) if node.is_layer else None
        if lt is None:
            continue
        for why, fix in _refusals(node, lt.name, backend.name):
            line, column = node.mark
            yield Finding(spec.file, line, column, BACKEND_LAYER,
                          f"layer {shown(node.name)}: {why}; the backend is {backend.described}", help=fix,
                          data={"layer": node.name, "type": lt.name, "backend": backend.name,
                                "backend_origin": backend.origin})
