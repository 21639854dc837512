"""`shared-layer-seed`: several layers given one explicit `seed:` draw the same random masks or noise.

Owns its check: every layer whose catalog type takes a `seed` argument
(dropout, noise, recurrent dropout, attention dropout, random augmentation),
wrapped layers included, grouped by the seed the file gives it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..catalog import catalog
from ..findings import Finding
from ..ruletype import WARNING, Rule
from ..text import shown

if TYPE_CHECKING:
    from ..modelfile import LayerNode, ModelSpec
    from ..plan import Plan

SHARED_LAYER_SEED = Rule(
    "shared-layer-seed", WARNING,
    "Several layers are given one explicit `seed:`, so they draw the same random masks or noise.",
    "A Keras layer with a `seed` argument (Dropout, GaussianNoise, an RNN's dropout, random "
    "augmentation) starts its own random generator from that seed, so two such layers with one "
    "seed drop the same positions, add the same noise or make the same augmentation at every "
    "step. Unlike initializers this is not about weights, so it is a warning.",
    bad="layers:\n"
        "  - {type: Dense, units: 8}\n"
        "  - {type: Dropout, rate: 0.5, seed: 7}\n"
        "  - {type: Dense, units: 8}\n"
        "  - {type: Dropout, rate: 0.5, seed: 7}\n",
    good="layers:\n"
         "  - {type: Dense, units: 8}\n"
         "  - {type: Dropout, rate: 0.5, seed: 7}\n"
         "  - {type: Dense, units: 8}\n"
         "  - {type: Dropout, rate: 0.5, seed: 8}\n",
    fix="Give each layer its own seed, or leave `seed:` out (Keras then draws one per layer).",
)


@SHARED_LAYER_SEED.check
def same_seed(spec: ModelSpec, plan: Plan) -> Iterator[Finding]:
    by_seed: dict[int, list[LayerNode]] = {}
    cat = catalog()
    for node in spec.nodes():
        seed = node.args.get("seed")
        lt = cat.layer(node.type)
        if lt is not None and "seed" in lt.params and isinstance(seed, int) and not isinstance(seed, bool):
            by_seed.setdefault(seed, []).append(node)
    for seed, nodes in by_seed.items():
        if len(nodes) > 1:
            line, column = nodes[1].mark  # where the seed is given again
            names = ", ".join(f"{shown(n.name)} ({n.type})" for n in nodes)
            yield Finding(spec.file, line, column, SHARED_LAYER_SEED,
                          f"layers {names} are all given seed {seed}: they draw the same random masks or noise",
                          data={"layers": [n.name for n in nodes], "seed": seed})
