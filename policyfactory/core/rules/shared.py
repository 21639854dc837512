"""Shared components: declarations under `shared:` and `{shared: NAME}` references."""

from ..ruletype import INVALID, Rule

SHARED_UNKNOWN = Rule(
    "shared-unknown", INVALID,
    "`{shared: NAME}` names no component under `shared:`.",
    "A shared reference must name a component declared under the model's top-level "
    "`shared:`. In Python, a `SharedComponent` handle may be used only with the "
    "`LayerFactory` that declared it.",
    bad="layers:\n"
        "  - {type: Dense, units: 8, kernel_constraint: {shared: unit_norm}}\n",
    good="shared:\n"
         "  unit_norm: {constraint: UnitNorm}\n"
         "layers:\n"
         "  - {type: Dense, units: 8, kernel_constraint: {shared: unit_norm}}\n",
    fix="Declare the component under `shared:` (or correct the name the message suggests).",
)


SHARED_WRONG_KIND = Rule(
    "shared-wrong-kind", INVALID,
    "A shared component used in a slot of another kind.",
    "Each shared declaration is of one kind (initializer, regularizer or constraint), and it "
    "can serve only slots of that kind. A shared regularizer in a `*_initializer` slot "
    "cannot work.",
    bad="shared:\n"
        "  l2: {regularizer: L2}\n"
        "layers:\n"
        "  - {type: Dense, units: 8, kernel_initializer: {shared: l2}}\n",
    good="shared:\n"
         "  l2: {regularizer: L2}\n"
         "layers:\n"
         "  - {type: Dense, units: 8, kernel_regularizer: {shared: l2}}\n",
    fix="Use the shared component in a slot of its kind, or declare one of the slot's kind.",
)


SHARED_IN_SHARED = Rule(
    "shared-in-shared", INVALID,
    "A shared declaration refers to another shared component.",
    "A declaration under `shared:` must give the component itself (a name or a config "
    "mapping). A `{shared: ...}` inside it would only be an alias of the other one.",
    bad="shared:\n"
        "  he: {initializer: HeNormal}\n"
        "  he_again: {initializer: {shared: he}}\n",
    good="shared:\n"
         "  he: {initializer: HeNormal}\n",
    fix="Refer to the first declaration directly from the slots.",
)


SHARED_DECLARATION = Rule(
    "shared-declaration", INVALID,
    "A shared declaration names no component kind, or more than one.",
    "Each entry under `shared:` declares exactly one of `initializer:`, `regularizer:` or "
    "`constraint:`, so that every slot using it knows its kind. A declaration with none or "
    "several of them is reported once, at the declaration.",
    bad="shared:\n"
        "  dense_parts: {initializer: HeNormal, regularizer: L2}\n",
    good="shared:\n"
         "  he: {initializer: HeNormal}\n"
         "  l2: {regularizer: L2}\n",
    fix="Split the declaration into one entry per kind.",
)


SHARED_DUPLICATE = Rule(
    "shared-duplicate", INVALID,
    "A shared component name is declared twice on one LayerFactory.",
    "`LayerFactory.shared(name, component)` declares a name once. A second declaration "
    "under the same name would make findings and reports ambiguous about which one a slot "
    "received.",
    bad="f = pf.LayerFactory(\"recurrent\")\n"
        "norm = f.shared(\"unit_norm\", keras.constraints.UnitNorm())\n"
        "norm2 = f.shared(\"unit_norm\", keras.constraints.UnitNorm(axis=1))\n",
    good="f = pf.LayerFactory(\"recurrent\")\n"
         "norm = f.shared(\"unit_norm\", keras.constraints.UnitNorm())\n"
         "norm2 = f.shared(\"unit_norm_axis1\", keras.constraints.UnitNorm(axis=1))\n",
    fix="Reuse the handle returned by the first `shared()` call, or pick another name.",
    example="python",
)
