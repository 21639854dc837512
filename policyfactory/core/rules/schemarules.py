"""Schema rules: the shape of a policy or model file (`core/schema.py`, `core/filemodels.py`)."""

from ..ruletype import INVALID, Rule

SCHEMA_TOP_LEVEL = Rule(
    "schema-top-level", INVALID,
    "The top level of the file is not a mapping.",
    "A policy or model file is one mapping that starts with `kind:`. A list or a scalar at "
    "the top level cannot be either.",
    bad="- kind: model\n  version: 1\n",
    good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
    fix="Make the top level a mapping with `kind: policy` or `kind: model`.",
    example="file",
)


SCHEMA_KIND = Rule(
    "schema-kind", INVALID,
    "A missing or unknown `kind:`, or a file of the other kind than the command expects.",
    "`kind:` decides whether a file is checked as a policy or a model. It must be `policy` "
    "or `model`, and commands that take a model (`build`, `explain`, `graph`, `audit`) "
    "refuse a policy file.",
    bad="kind: modle\nversion: 1\n",
    good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
    fix="Write `kind: policy` or `kind: model`, and pass model files to the model commands.",
)


SCHEMA_UNKNOWN_KEY = Rule(
    "schema-unknown-key", INVALID,
    "A key the file format does not have.",
    "Every mapping of a policy or model file has a fixed set of keys; an unknown one is "
    "usually a typo of a real one, and silently ignoring it would change the meaning of "
    "the file. The message suggests the closest key.",
    bad="rules:\n"
        "  - id: dense-kernels\n"
        "    component: initializer\n"
        "    layer: [Dense]\n"
        "    share: deny\n",
    good="rules:\n"
         "  - id: dense-kernels\n"
         "    component: initializer\n"
         "    layers: [Dense]\n"
         "    share: deny\n",
    fix="Correct the key's spelling or remove it (`policyfactory schema policy|model` lists the keys).",
    example="policy",
)


SCHEMA_MISSING_KEY = Rule(
    "schema-missing-key", INVALID,
    "A required key is missing.",
    "Some keys have no default: `kind`, `version` and `layers` of a model, `id`, `component` "
    "and `share` of a policy rule, `type` of a layer, `rule` and `reason` of an allow entry. "
    "A policy rule without `share:` would leave its verdict to guesswork.",
    bad="rules:\n"
        "  - id: dense-kernels\n"
        "    component: initializer\n"
        "    layers: [Dense]\n",
    good="rules:\n"
         "  - id: dense-kernels\n"
         "    component: initializer\n"
         "    layers: [Dense]\n"
         "    share: deny\n",
    fix="Add the missing key named in the message.",
    example="policy",
)


SCHEMA_TYPE = Rule(
    "schema-type", INVALID,
    "A value of the wrong type.",
    "Values are never converted silently: a number written as a string, a list where a "
    "mapping is expected, or a layer argument of the wrong type is a finding that names the "
    "expected type. YAML 1.2 rules apply, so `no`, `1:30` and `0777` stay strings.",
    bad="seed: \"7\"\n",
    good="seed: 7\n",
    fix="Write the value with the type named in the message (numbers unquoted).",
)


SCHEMA_VALUE = Rule(
    "schema-value", INVALID,
    "A value of the right type that is not one of the allowed values.",
    "Some fields take a fixed set of values (`share: allow|deny`, `scope: "
    "within-layer|across-layers`, `version: 1`) or must not be empty. The message lists what "
    "is expected.",
    bad="rules:\n"
        "  - id: lstm-tied\n"
        "    component: constraint\n"
        "    scope: within-layers\n"
        "    share: deny\n",
    good="rules:\n"
         "  - id: lstm-tied\n"
         "    component: constraint\n"
         "    scope: within-layer\n"
         "    share: deny\n",
    fix="Use one of the values listed in the message.",
    example="policy",
)
