"""The rule registry: one table of every finding id policyfactory can emit.

Why one table: findings are made in many places (the YAML loader, the schema
mapping, the model and policy checkers, the Keras side, the command line), but
users meet them in one vocabulary. Exit codes, SARIF's ``driver.rules``, the
documentation and an ``explain``-style lookup all need the same facts about a
rule id: its category (which decides the exit code), a one-line summary, what
triggers it and how to fix it. Keeping them here, as plain data, means a new
finding id is one entry, and a test can check that every id emitted in the code
is registered (in the spirit of yamllint's rules table and ``ruff rule ID``).

This module is imported at start-up of every command, so it imports only the
standard library and does nothing at import but build one dict.

Categories decide the exit code:

* ``invalid`` -- the input cannot be judged (YAML, schema, unknown names,
  limits, unreadable files, bad arguments): exit 2;
* ``policy`` -- valid input that breaks its policy: exit 1;
* ``warning`` -- worth fixing, does not fail: exit 0.

Example::

    >>> rule_info("sharing-violation").category
    'policy'
    >>> rule_info("unused-allow").severity
    'warning'
    >>> rule_info("yaml-tag").severity
    'error'
    >>> sorted(rule_info("limit-nodes").as_json())
    ['bad', 'category', 'explanation', 'fix', 'good', 'id', 'severity', 'summary']
    >>> [r.id for r in RULES.values() if r.category == POLICY]
    ['sharing-violation', 'correlated-weights', 'allow-not-permitted']
    >>> rule_info("no-such-rule")
    Traceback (most recent call last):
    ...
    KeyError: "unknown rule id 'no-such-rule'"
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CATEGORIES", "INVALID", "POLICY", "RULES", "WARNING", "RuleInfo", "rule_info"]

INVALID = "invalid"  # the input cannot be judged: exit 2
POLICY = "policy"  # valid input that breaks its policy: exit 1
WARNING = "warning"  # worth fixing, does not fail: exit 0
CATEGORIES = (INVALID, POLICY, WARNING)


@dataclass(frozen=True)
class RuleInfo:
    """What one finding id means, and how to get rid of it."""

    id: str
    category: str  # one of CATEGORIES
    summary: str  # one line, starts with a capital, ends with a period, <= 100 chars
    explanation: str  # 2-5 sentences: what triggers it and why it matters
    bad: str = ""  # a short example that triggers it (YAML for file rules, Python for API ones)
    good: str = ""  # the same example fixed
    fix: str = ""  # one-line concrete fix hint

    @property
    def severity(self) -> str:
        """``warning`` for warnings, ``error`` for everything that fails a run."""
        return "warning" if self.category == WARNING else "error"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "category": self.category,
            "severity": self.severity,
            "summary": self.summary,
            "explanation": self.explanation,
            "bad": self.bad,
            "good": self.good,
            "fix": self.fix,
        }


_ENTRIES = (
    # -- YAML (policyfactory/core/yamlload.py) --------------------------------------------------
    RuleInfo(
        "yaml-syntax", INVALID,
        "The file is not valid YAML.",
        "The YAML parser stopped at the reported line and column: an unclosed bracket or quote, "
        "a bad indent, a tab used for indentation. Nothing else in the file can be checked until "
        "it parses, so this is the only finding for the file.",
        bad="layers:\n  - {type: Dense, units: 8\n",
        good="layers:\n  - {type: Dense, units: 8}\n",
        fix="Correct the YAML at the reported position (brackets, quotes, indentation with spaces).",
    ),
    RuleInfo(
        "yaml-tag", INVALID,
        "A YAML tag other than the core ones (no Python objects are ever built).",
        "Only plain YAML data is read: a tag such as `!!python/object` or a custom `!Tag` is "
        "refused before any value is built, so a file can never make the loader create objects "
        "or run code. A core tag whose text does not fit it (`!!int abc`) is refused too.",
        bad="layers:\n  - !!python/object:keras.layers.Dense {units: 8}\n",
        good="layers:\n  - {type: Dense, units: 8}\n",
        fix="Remove the tag and write the value as plain YAML data (layers by `type:`).",
    ),
    RuleInfo(
        "yaml-duplicate-key", INVALID,
        "A mapping repeats a key.",
        "Most YAML loaders silently keep the last of two equal keys, so one of the values the "
        "author wrote would be ignored. policyfactory refuses the file at the duplicate, also in "
        "nested mappings and next to `<<` merge keys, and names the line of the first one.",
        bad="layers:\n  - {type: Dense, units: 8, units: 16}\n",
        good="layers:\n  - {type: Dense, units: 16}\n",
        fix="Keep one of the two keys (the message names the line of the first).",
    ),
    RuleInfo(
        "yaml-key", INVALID,
        "A mapping key that is not a plain scalar (a list or a mapping used as a key).",
        "YAML allows complex keys (`? [a, b]`), but no field of a policy or model file has one, "
        "and they cannot be reported by name. Keys must be plain strings or numbers.",
        bad="layers:\n  - {type: Dense, [units]: 8}\n",
        good="layers:\n  - {type: Dense, units: 8}\n",
        fix="Write the key as a plain string.",
    ),
    RuleInfo(
        "yaml-alias", INVALID,
        "An alias that names no anchor, or an anchor that contains its own alias.",
        "An alias `*name` must refer to an anchor `&name` defined earlier in the file. An alias "
        "inside the node it refers to would make an infinite value, so it is refused too.",
        bad="layers:\n"
            "  - {type: Dense, name: dense_a, units: 8, kernel_initializer: *he}\n",
        good="layers:\n"
             "  - {type: Dense, name: dense_a, units: 8, kernel_initializer: &he he_normal}\n"
             "  - {type: Dense, name: dense_b, units: 8, kernel_initializer: *he}\n",
        fix="Define the anchor (`&name`) before the alias, or write the value out.",
    ),
    RuleInfo(
        "yaml-merge", INVALID,
        "A `<<` merge key whose value is not a mapping or a list of mappings.",
        "A merge key copies the keys of the mappings it names into the current mapping. A scalar "
        "or a list of scalars has no keys to copy, so the result would be ambiguous.",
        bad="layers:\n"
            "  - {type: Dense, name: dense_a, units: &units 8}\n"
            "  - {<<: *units, type: Dense, name: dense_b}\n",
        good="layers:\n"
             "  - &dense {type: Dense, name: dense_a, units: 8}\n"
             "  - {<<: *dense, name: dense_b}\n",
        fix="Anchor a mapping and merge that, or write the keys out.",
    ),
    RuleInfo(
        "yaml-multiple-documents", INVALID,
        "The file holds several YAML documents (`---`); one file is one policy or model.",
        "A file is judged as one policy or one model by its `kind:`. A second document after "
        "`---` would be silently ignored by most tools, so it is refused instead.",
        bad="kind: policy\nversion: 1\nname: team\n---\nkind: model\nversion: 1\n",
        fix="Put each document in its own file.",
    ),
    RuleInfo(
        "yaml-empty", INVALID,
        "The file is empty or holds only comments.",
        "An empty file has no `kind:`, so it is neither a policy nor a model. This usually means "
        "a file was truncated or a glob picked up a placeholder.",
        bad="# models go here\n",
        good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
        fix="Write the policy or model into the file, or leave the file out of the run.",
    ),
    RuleInfo(
        "yaml-encoding", INVALID,
        "The file is not UTF-8 text (invalid UTF-8, or a NUL byte).",
        "Policy and model files are read as UTF-8 text; a NUL byte or an invalid byte sequence "
        "means a binary file or a file saved in another encoding. The finding points at the "
        "first bad byte.",
        fix="Save the file as UTF-8 text, or leave binary files (such as .keras) out of `validate`.",
    ),
    # -- limits ------------------------------------------------------------------------------------
    RuleInfo(
        "limit-file-size", INVALID,
        "The file is larger than the size limit (5 MB unless raised with --max-bytes).",
        "Every input is bounded so that a hostile or accidental huge file cannot exhaust memory "
        "or time. The file is refused before it is parsed.",
        fix="Split the file, or raise the limit with `--max-bytes N` if the file is legitimate.",
    ),
    RuleInfo(
        "limit-depth", INVALID,
        "Nesting deeper than the limit (64 levels of mappings and lists).",
        "No real policy or model needs more than a few levels of nesting, even with wrappers and "
        "RNN cells. Very deep nesting is refused while parsing, so it can never exhaust the stack.",
        fix="Flatten the structure; wrappers nest layers only a few levels deep.",
    ),
    RuleInfo(
        "limit-nodes", INVALID,
        "More YAML nodes after alias expansion than the limit (alias bombs).",
        "Aliases copy their anchored value, so a few hundred bytes of nested aliases can expand "
        "into billions of nodes (a billion-laughs file). The loader counts nodes as if expanded "
        "and refuses the file when the count passes 1,000,000, before expanding it.",
        bad="a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
            "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
        fix="Write the data out without nested aliases; a policy or model never needs this many nodes.",
    ),
    RuleInfo(
        "limit-layers", INVALID,
        "More layers in one model file than the limit (50,000).",
        "Layers are counted as they are checked, wrapped layers and RNN cells included. The limit "
        "bounds the time and memory of `validate`; the finding is reported once, at the first "
        "layer over the limit.",
        fix="Split the model into several files, or generate it from Python with LayerFactory.",
    ),
    RuleInfo(
        "limit-number", INVALID,
        "An integer with more digits than any argument needs (over 40).",
        "Python refuses to convert integers of more than 4,300 digits and a seed or a layer size "
        "never needs more than a handful, so the loader refuses long integers (decimal, hex or octal) "
        "where they stand, instead of spending time on them or failing later.",
        bad="seed: 123456789012345678901234567890123456789012345678901234567890\n",
        good="seed: 1234\n",
        fix="Write a smaller number.",
    ),
    RuleInfo(
        "limit-params", INVALID,
        "A layer would hold more parameters than the budget (`--max-params`, default 1,000,000,000).",
        "`validate` estimates each layer's weights from its arguments (units, filters, kernel size, "
        "embedding sizes, the previous layer's width where it is known), so a typo such as "
        "`units: 10000000000` is a finding before `build` tries to allocate 40 GB.",
        bad="layers:\n  - {type: Dense, units: 10000000000}\n",
        good="layers:\n  - {type: Dense, units: 1000}\n",
        fix="Fix the size, or raise the budget with --max-params if the model really is that large.",
    ),
    # -- files -------------------------------------------------------------------------------------
    RuleInfo(
        "file-unreadable", INVALID,
        "A path that does not exist, is a directory, or cannot be read.",
        "Every command reads its input files itself. A missing file, a directory or a permission "
        "error is reported as a finding at line 1 of the path rather than as a traceback.",
        bad="policyfactory validate models/\n",
        good="policyfactory validate models/*.yaml\n",
        fix="Check the path (and its permissions); pass files, not directories.",
    ),
    RuleInfo(
        "path-outside-project", INVALID,
        "A path written in a file (`policy:`, `extends:`, a settings file's `policy`) leaves the project.",
        "A file may refer only to files inside the project that holds it: the nearest folder above "
        "it with `.git` or `pyproject.toml`, else its own folder. Symbolic links are resolved first. "
        "The `policy` of `[tool.policyfactory]` or `policyfactory.toml` is confined the same way. "
        "The target is not read, so a model file cannot make the tool read (and echo) `/etc/shadow` "
        "or a secret next to the repository. Pass --allow-outside to accept such paths on purpose.",
        bad="policy: ../../../etc/passwd\n",
        good="policy: policies/team.yaml\n",
        fix="Move the policy into the project and refer to it by a relative path, or pass --allow-outside.",
    ),
    RuleInfo(
        "file-path-argument", INVALID,
        "A layer argument that Keras would read as a file path is given as a string.",
        "Lookup and vectorization layers (`StringLookup`, `IntegerLookup`, `TextVectorization`) read "
        "`vocabulary` and `idf_weights` from a file when they are strings, and `build` would copy that "
        "file into the saved model. Model files accept them only as inline lists.",
        bad="layers:\n  - {type: StringLookup, vocabulary: /etc/shadow}\n",
        good="layers:\n  - {type: StringLookup, vocabulary: [cat, dog, bird]}\n",
        fix="Write the vocabulary inline as a list.",
    ),
    # -- schema (policyfactory/core/schema.py, validate.py) -----------------------------------------
    RuleInfo(
        "schema-top-level", INVALID,
        "The top level of the file is not a mapping.",
        "A policy or model file is one mapping that starts with `kind:`. A list or a scalar at "
        "the top level cannot be either.",
        bad="- kind: model\n  version: 1\n",
        good="kind: model\nversion: 1\n",
        fix="Make the top level a mapping with `kind: policy` or `kind: model`.",
    ),
    RuleInfo(
        "schema-kind", INVALID,
        "A missing or unknown `kind:`, or a file of the other kind than the command expects.",
        "`kind:` decides whether a file is checked as a policy or a model. It must be `policy` "
        "or `model`, and commands that take a model (`build`, `explain`, `graph`, `audit`) "
        "refuse a policy file.",
        bad="kind: modle\nversion: 1\n",
        good="kind: model\nversion: 1\n",
        fix="Write `kind: policy` or `kind: model`, and pass model files to the model commands.",
    ),
    RuleInfo(
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
    ),
    RuleInfo(
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
    ),
    RuleInfo(
        "schema-type", INVALID,
        "A value of the wrong type.",
        "Values are never converted silently: a number written as a string, a list where a "
        "mapping is expected, or a layer argument of the wrong type is a finding that names the "
        "expected type. YAML 1.2 rules apply, so `no`, `1:30` and `0777` stay strings.",
        bad="seed: \"7\"\n",
        good="seed: 7\n",
        fix="Write the value with the type named in the message (numbers unquoted).",
    ),
    RuleInfo(
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
    ),
    # -- names and components ------------------------------------------------------------------------
    RuleInfo(
        "argument-value", INVALID,
        "An argument value that Keras would refuse: out of range, not one of its choices, or not finite.",
        "`validate` knows the ranges and choices of common arguments without Keras (sizes and "
        "strides at least 1, rates in [0, 1), `padding`, `data_format`, `VarianceScaling` mode and "
        "distribution, dtypes, shape dimensions) and refuses NaN and infinite numbers anywhere, so "
        "whatever `validate` passes, `build` builds.",
        bad="layers:\n  - {type: Dropout, rate: 5}\n",
        good="layers:\n  - {type: Dropout, rate: 0.5}\n",
        fix="Use a value in the range or one of the choices the message lists.",
    ),
    RuleInfo(
        "name-invalid", INVALID,
        "A model, input or layer name that Keras does not accept.",
        "Keras refuses names with `/` (it separates weight paths), and empty names. Names with "
        "control characters would corrupt saved weight paths too.",
        bad="layers:\n  - {type: Dense, name: enc/dense, units: 4}\n",
        good="layers:\n  - {type: Dense, name: enc_dense, units: 4}\n",
        fix="Use letters, digits, `_`, `-` and `.` in names.",
    ),
    RuleInfo(
        "unknown-layer-type", INVALID,
        "A layer type that is not in the catalog.",
        "Layer types resolve only through the catalog (every public Keras 3 layer and its "
        "aliases) and classes registered from Python with `register_layer`. In a model file an "
        "unknown type cannot be built; in a policy's `layers:` it would make the rule match "
        "nothing; in a model being exported it is a custom class, refused by name. The message "
        "suggests the closest name.",
        bad="layers:\n  - {type: LSTMM, units: 32}\n",
        good="layers:\n  - {type: LSTM, units: 32}\n",
        fix="Correct the type name, or register the class from Python with `register_layer`.",
    ),
    RuleInfo(
        "layer-not-allowed", INVALID,
        "A layer type that would run code given as data (Lambda and the like).",
        "`Lambda`, `TFSMLayer`, `JaxLayer`, `FlaxLayer` and `TorchModuleWrapper` run a function, "
        "module or SavedModel given as data, so a YAML file naming them could run arbitrary code; "
        "they are excluded from the catalog, in a model file and in a policy's `layers:` alike. "
        "The message gives the reason for the excluded type.",
        bad="layers:\n  - {type: Lambda, function: double}\n",
        good="layers:\n  - {type: Rescaling, scale: 2.0}\n",
        fix="Use a catalog layer that does the same, or register a layer class from Python.",
    ),
    RuleInfo(
        "unknown-component-class", INVALID,
        "An initializer, regularizer or constraint class that is not in the catalog.",
        "Component classes resolve only through the catalog (Keras's built-in initializers, "
        "regularizers and constraints with their aliases) and classes registered from Python "
        "with `register_component`. The message suggests the closest name of the slot's kind.",
        bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: HeNormall}\n",
        good="layers:\n  - {type: Dense, units: 8, kernel_initializer: HeNormal}\n",
        fix="Correct the class name, or register the class with `register_component(kind, cls)`.",
    ),
    RuleInfo(
        "component-wrong-kind", INVALID,
        "A component class of another kind, such as a regularizer where an initializer is expected.",
        "Every slot takes one component kind, given by its name (`*_initializer`, "
        "`*_regularizer`, `*_constraint`), and every policy rule covers one `component:` kind. "
        "A class of another kind in a model slot or in a rule's `classes:` can never fit.",
        bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: L2}\n",
        good="layers:\n  - {type: Dense, units: 8, kernel_initializer: he_normal, kernel_regularizer: L2}\n",
        fix="Move the class to a slot (or rule) of its own kind.",
    ),
    RuleInfo(
        "component-value", INVALID,
        "A component slot holds a value that is no name, no `{class_name, config}` and no `{shared:}`.",
        "A component is written as a Keras identifier (`he_normal`, `HeNormal`, `l2`), a config "
        "mapping `{class_name: ..., config: {...}}`, `{shared: NAME}`, or `null` for Keras's "
        "default. In Python, `LayerFactory.shared` needs `kind=` when the kind of a value cannot "
        "be told.",
        bad="layers:\n  - {type: Dense, units: 8, kernel_initializer: {name: he_normal}}\n",
        good="layers:\n  - {type: Dense, units: 8, kernel_initializer: he_normal}\n",
        fix="Write a name, `{class_name: ..., config: {...}}` or `{shared: NAME}`.",
    ),
    RuleInfo(
        "config-module-key", INVALID,
        "`module:` or `registered_name:` in a config: names resolve only through the catalog.",
        "Keras uses `module:` and `registered_name:` to import classes while deserializing; "
        "honouring them would let a data file load arbitrary Python modules. policyfactory "
        "refuses them anywhere in a model file instead of ignoring them silently.",
        bad="layers:\n"
            "  - type: Dense\n"
            "    units: 8\n"
            "    kernel_initializer: {module: keras.initializers, class_name: HeNormal, config: {}}\n",
        good="layers:\n"
             "  - type: Dense\n"
             "    units: 8\n"
             "    kernel_initializer: {class_name: HeNormal, config: {}}\n",
        fix="Remove `module:` and `registered_name:`; register custom classes from Python instead.",
    ),
    RuleInfo(
        "config-object-not-allowed", INVALID,
        "A Keras object config (`{class_name: ...}`) in an argument that takes plain data.",
        "Keras object configs are read only in component slots, and only after the catalog has "
        "accepted their class and every argument. Any other argument takes plain data, so a "
        "config there is refused rather than deserialized.",
        bad="layers:\n"
            "  - {type: Dense, units: 8, dtype: {class_name: DTypePolicy, config: {name: mixed_float16}}}\n",
        good="layers:\n  - {type: Dense, units: 8, dtype: mixed_float16}\n",
        fix="Give the argument its plain value (a name, a number, a list).",
    ),
    RuleInfo(
        "unknown-argument", INVALID,
        "A layer or component argument that the catalog does not know.",
        "Layer arguments are checked against the catalog's constructor signature, and the "
        "`config:` of a component against the class's arguments. Keras would raise at build "
        "time or, worse, ignore the argument; the message suggests the closest name.",
        bad="layers:\n  - {type: Dense, unit: 8}\n",
        good="layers:\n  - {type: Dense, units: 8}\n",
        fix="Correct the argument's name, or remove it.",
    ),
    RuleInfo(
        "missing-argument", INVALID,
        "A layer argument that Keras requires is missing.",
        "Some constructor arguments have no default (`units` of Dense and LSTM, `filters` and "
        "`kernel_size` of Conv2D). The file is refused at validation instead of failing later "
        "inside Keras.",
        bad="layers:\n  - {type: Dense, activation: relu}\n",
        good="layers:\n  - {type: Dense, units: 8, activation: relu}\n",
        fix="Add the argument named in the message.",
    ),
    RuleInfo(
        "unknown-activation", INVALID,
        "An activation name that Keras does not have.",
        "Activation arguments (`activation`, `recurrent_activation`, ...) take the name of a "
        "built-in Keras activation. The message suggests the closest name.",
        bad="layers:\n  - {type: Dense, units: 8, activation: rleu}\n",
        good="layers:\n  - {type: Dense, units: 8, activation: relu}\n",
        fix="Correct the activation's name.",
    ),
    RuleInfo(
        "unknown-role", INVALID,
        "A role in a policy rule's `roles:` that no slot has.",
        "A role is the prefix of a slot's argument name (`kernel`, `bias`, `recurrent`, "
        "`embeddings`, `gamma`, ...). A role that no layer type has makes the rule match less "
        "than its author meant; the message suggests the closest role.",
        bad="rules:\n"
            "  - id: lstm-constraints\n"
            "    component: constraint\n"
            "    layers: [LSTM]\n"
            "    roles: [kernal, recurrent]\n"
            "    share: deny\n",
        good="rules:\n"
             "  - id: lstm-constraints\n"
             "    component: constraint\n"
             "    layers: [LSTM]\n"
             "    roles: [kernel, recurrent]\n"
             "    share: deny\n",
        fix="Correct the role's name (a slot argument's prefix), or use `\"*\"`.",
    ),
    RuleInfo(
        "unknown-reference", INVALID,
        "A layer's `inputs:` or the model's `outputs:` names no model input or earlier layer.",
        "In a functional model each layer takes its inputs from named model inputs or earlier "
        "layers, and `outputs:` names layers. A name that is not defined, or not yet defined at "
        "that point, cannot be connected; a layer of a model with several inputs must name its "
        "`inputs:`.",
        bad="inputs:\n"
            "  a: {shape: [16]}\n"
            "layers:\n"
            "  - {type: Dense, name: encoder_a, inputs: [a], units: 32}\n"
            "  - {type: Dense, name: head, inputs: [encoder], units: 1}\n"
            "outputs: [head]\n",
        good="inputs:\n"
             "  a: {shape: [16]}\n"
             "layers:\n"
             "  - {type: Dense, name: encoder_a, inputs: [a], units: 32}\n"
             "  - {type: Dense, name: head, inputs: [encoder_a], units: 1}\n"
             "outputs: [head]\n",
        fix="Name a model input or a layer defined above (the message suggests the closest name).",
    ),
    # -- layers and model shape ------------------------------------------------------------------------
    RuleInfo(
        "duplicate-layer-name", INVALID,
        "Two layers have the same name.",
        "Layer names identify slots in findings, `allow:` entries and derived seeds, and Keras "
        "requires them to be unique in a model. Unnamed layers get Keras-style names (`dense`, "
        "`dense_1`, ...) that never collide with names already taken.",
        bad="layers:\n"
            "  - {type: Dense, name: dense_a, units: 32}\n"
            "  - {type: Dense, name: dense_a, units: 8}\n",
        good="layers:\n"
             "  - {type: Dense, name: dense_a, units: 32}\n"
             "  - {type: Dense, name: dense_b, units: 8}\n",
        fix="Rename one of the layers, or leave the name out to get a generated one.",
    ),
    RuleInfo(
        "inputs-in-sequential", INVALID,
        "A layer names `inputs:` in a sequential model (one with top-level `input:`).",
        "A sequential model runs its layers in order, so per-layer `inputs:` would be ignored. "
        "Per-layer `inputs:` belong to the functional form, which declares named top-level "
        "`inputs:` instead of `input:`.",
        bad="input: {shape: [16]}\n"
            "layers:\n"
            "  - {type: Dense, name: encoder, inputs: [x], units: 32}\n",
        good="inputs:\n"
             "  x: {shape: [16]}\n"
             "layers:\n"
             "  - {type: Dense, name: encoder, inputs: [x], units: 32}\n",
        fix="Drop the layer's `inputs:`, or switch to the functional form with top-level `inputs:`.",
    ),
    RuleInfo(
        "model-inputs", INVALID,
        "The model has neither or both of `input:` and `inputs:`, or `outputs:` without `inputs:`.",
        "A model is either sequential (`input: {shape: [...]}`, layers run in order) or "
        "functional (named `inputs:`, optional `outputs:`). Without an input Keras cannot build "
        "it; with both forms its shape would be ambiguous.",
        bad="kind: model\nversion: 1\nlayers:\n  - {type: Dense, units: 1}\n",
        good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
        fix="Give exactly one of `input:` (sequential) or `inputs:` (functional, with `outputs:`).",
    ),
    RuleInfo(
        "wrapper-layer", INVALID,
        "A wrapper given a layer it cannot wrap (Bidirectional needs a recurrent layer).",
        "`Bidirectional` runs its layer forwards and a rebuilt copy backwards, so the layer must "
        "be recurrent. In Python, `LayerFactory.Bidirectional` needs a layer made by the same "
        "factory (or an explicit `backward_layer=`), so that the backward copy gets its own seeds.",
        bad="layers:\n"
            "  - type: Bidirectional\n"
            "    layer: {type: Dense, units: 16}\n",
        good="layers:\n"
             "  - type: Bidirectional\n"
             "    layer: {type: LSTM, units: 16}\n",
        fix="Wrap a recurrent layer (LSTM, GRU, SimpleRNN, RNN) made by this factory.",
    ),
    # -- shared components ------------------------------------------------------------------------------
    RuleInfo(
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
    ),
    RuleInfo(
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
    ),
    RuleInfo(
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
    ),
    RuleInfo(
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
    ),
    RuleInfo(
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
    ),
    # -- policies --------------------------------------------------------------------------------------
    RuleInfo(
        "policy-unknown", INVALID,
        "A policy name that is neither a built-in policy nor an existing file.",
        "A model's `policy:`, `--policy` and `LayerFactory(policy)` take a built-in name "
        "(`strict`, `recurrent`, `stateless`) or a path to a policy file (relative to the model "
        "file). The message suggests the closest built-in name.",
        bad="policy: strickt\n",
        good="policy: strict\n",
        fix="Use a built-in policy name or the path of an existing policy file.",
    ),
    RuleInfo(
        "policy-invalid", INVALID,
        "The policy a model names has findings of its own.",
        "A model cannot be judged against a policy that is not valid. The policy's own findings "
        "follow this one, in the policy file.",
        bad="policy: policies/team.yaml   # a policy file with findings of its own\n",
        fix="Fix the findings reported in the policy file, then validate the model again.",
    ),
    RuleInfo(
        "policy-extends-missing", INVALID,
        "`extends:` names no built-in policy and no file.",
        "`extends:` takes a built-in policy name or a path relative to the policy file. The "
        "message suggests the closest built-in name.",
        bad="kind: policy\nversion: 1\nname: team\nextends: strickt\n",
        good="kind: policy\nversion: 1\nname: team\nextends: strict\n",
        fix="Correct the name or the path of the extended policy.",
    ),
    RuleInfo(
        "policy-extends-invalid", INVALID,
        "The policy named by `extends:` has findings of its own.",
        "A policy that extends an invalid one cannot be resolved: the parent's rules come first "
        "and its defaults apply. The parent's findings follow this one.",
        bad="extends: base.yaml   # a policy file with findings of its own\n",
        fix="Fix the findings reported in the extended policy file first.",
    ),
    RuleInfo(
        "policy-extends-cycle", INVALID,
        "Policies extend each other in a cycle.",
        "`extends:` chains must end in a policy that extends nothing; a cycle has no first "
        "policy to put rules and defaults in order. The message shows the chain of files.",
        bad="# a.yaml\nextends: b.yaml\n# b.yaml\nextends: a.yaml\n",
        fix="Break the cycle: one of the policies must not extend the other.",
    ),
    RuleInfo(
        "policy-duplicate-rule-id", INVALID,
        "Two rules of a policy (or of it and the policy it extends) have the same id.",
        "A rule id is shown in every finding the rule decides and may be named by `allow:` "
        "entries, so it must identify one rule. The check also covers the rules of the policy "
        "named by `extends:`.",
        bad="extends: stateless\n"
            "rules:\n"
            "  - id: stateless-constraints\n"
            "    component: constraint\n"
            "    share: deny\n",
        good="extends: stateless\n"
             "rules:\n"
             "  - id: no-shared-constraints\n"
             "    component: constraint\n"
             "    share: deny\n",
        fix="Give the rule an id of its own.",
    ),
    RuleInfo(
        "policy-missing-reason", INVALID,
        "A rule with `share: allow` gives no `reason:`.",
        "Allowing a component to be shared is a deliberate decision, and the reason is what a "
        "reviewer reads when a finding is not raised. It is required on allow rules, optional "
        "on deny rules.",
        bad="rules:\n"
            "  - id: shared-norms\n"
            "    component: constraint\n"
            "    classes: [UnitNorm]\n"
            "    share: allow\n",
        good="rules:\n"
             "  - id: shared-norms\n"
             "    component: constraint\n"
             "    classes: [UnitNorm]\n"
             "    share: allow\n"
             "    reason: UnitNorm is a pure function of the weights.\n",
        fix="Add `reason:` saying why sharing is safe here.",
    ),
    RuleInfo(
        "policy-role-not-in-layer", INVALID,
        "A role in a rule's `roles:` that none of its layer types has for that component kind.",
        "A rule covers a slot when the slot's layer type and role fit. A role that no listed "
        "layer type has for the rule's `component:` can never be covered, which usually means "
        "the wrong layer type or kind.",
        bad="rules:\n"
            "  - id: dense-recurrent\n"
            "    component: initializer\n"
            "    layers: [Dense]\n"
            "    roles: [recurrent]\n"
            "    share: deny\n",
        good="rules:\n"
             "  - id: lstm-recurrent\n"
             "    component: initializer\n"
             "    layers: [LSTM]\n"
             "    roles: [recurrent]\n"
             "    share: deny\n",
        fix="List layer types that have this role, or correct the role or the component kind.",
    ),
    RuleInfo(
        "policy-rule-never-matches", INVALID,
        "A policy rule that can never match any sharing group.",
        "A rule whose layer types have no slot of its component kind, or a `within-layer` rule "
        "where no listed layer type has two such slots with its roles, can decide nothing. "
        "It is almost always a mistake in `layers:`, `roles:`, `component:` or `scope:`.",
        bad="rules:\n"
            "  - id: dense-tied\n"
            "    component: initializer\n"
            "    layers: [Dense]\n"
            "    roles: [kernel]\n"
            "    scope: within-layer\n"
            "    share: deny\n",
        good="rules:\n"
             "  - id: lstm-tied\n"
             "    component: initializer\n"
             "    layers: [LSTM]\n"
             "    roles: [kernel, recurrent]\n"
             "    scope: within-layer\n"
             "    share: deny\n",
        fix="Correct the rule's `layers:`, `roles:`, `component:` or `scope:`, or remove it.",
    ),
    # -- build, audit and arguments ---------------------------------------------------------------------
    RuleInfo(
        "keras-error", INVALID,
        "Keras refused to construct or connect a layer that passed validation.",
        "The catalog checks argument names and types, but some values only Keras can judge "
        "(a non-positive `units`, shapes that do not fit together). The finding is placed at the "
        "layer and carries Keras's message; nothing is written.",
        bad="layers:\n  - {type: Dense, units: 0}\n",
        good="layers:\n  - {type: Dense, units: 8}\n",
        fix="Change the argument or the connection that Keras names in the message.",
    ),
    RuleInfo(
        "output-path", INVALID,
        "An output path that cannot be written, or holds a file that must not be replaced.",
        "`build` writes a `.keras` file and `graph` a picture or a DOT file, each through a "
        "temporary file renamed into place when complete. A missing folder, a name without the "
        "`.keras` suffix or a write error leaves any existing file untouched. An output that is an "
        "input or a policy the run reads, a symbolic link, a directory, a FIFO or a device is refused; "
        "`build` replaces a file under a name it chose (beside the model, in an `-o` folder) only when "
        "`build` wrote it, so a trained model saved under that name is kept: `-o OTHER.keras` writes "
        "elsewhere, `--overwrite` replaces it on purpose.",
        bad="policyfactory build examples/forecaster.yaml -o out/forecaster.h5\n",
        good="policyfactory build examples/forecaster.yaml -o forecaster.keras\n",
        fix="Write into an existing folder, with `.keras` for `build` and .svg/.png/.pdf/.dot for `graph`.",
    ),
    RuleInfo(
        "audit-input", INVALID,
        "`audit` was given a file that is neither a saved Keras model nor a model YAML.",
        "`audit` reads `.keras` archives, Keras 3 and Keras 2 `.h5` files (recognised by their "
        "content, not their name) and model YAML files. Other files, such as a SavedModel folder or "
        "a checkpoint, are not read.",
        bad="policyfactory audit saved_model.pb\n",
        good="policyfactory audit model.keras model.h5\n",
        fix="Save the model as `.keras` (`model.save(\"model.keras\")`) or `.h5`, or audit its model YAML.",
    ),
    RuleInfo(
        "audit-load", INVALID,
        "A saved model file that cannot be read: a corrupt archive, a missing member, bad JSON.",
        "The audit reads a `.keras` file's `config.json` as JSON data and its `model.weights.h5` "
        "with h5py, and a `.h5` file's `model_config` attribute and weights; it never deserializes "
        "or runs anything. A truncated or corrupt file, an archive without those members, or weights "
        "saved as `.npz` cannot be judged.",
        bad="policyfactory audit truncated.keras   # a download that stopped half-way\n",
        fix="Save the model again, or audit the live model with `pf.audit(model)`.",
    ),
    RuleInfo(
        "limit-archive", INVALID,
        "An archive member over the size limit, or compressed beyond the ratio limit (a zip bomb).",
        "Keras stores the members of a `.keras` archive uncompressed. Before reading anything, the "
        "audit refuses a `config.json` declared larger than the limit (32 MiB), and any member over "
        "1 MiB whose declared size is more than 100 times what the archive stores: a few megabytes "
        "that would expand to gigabytes in memory. The same size limit applies to a `.h5` file's "
        "`model_config` attribute.",
        bad="bomb.keras   # config.json: 2 GB declared, 2 MB stored\n",
        fix="Do not open the file with Keras either; re-save the model from its source with `model.save()`.",
    ),
    RuleInfo(
        "h5-refused", INVALID,
        "An HDF5 weights file uses a feature the audit does not follow (links, plugins, huge chunks).",
        "Keras writes plain HDF5: groups, and unfiltered datasets in the same file. The audit follows "
        "no external or soft links (they could open other files), reads no virtual or external "
        "datasets, loads no filter plugins, refuses compressed chunks over 64 MiB (each is "
        "decompressed whole) and bounds the nesting and the number of objects.",
        bad="weights.h5   # a dataset that is an external link to /etc/passwd\n",
        fix="Save the weights again with Keras (`model.save()` or `model.save_weights()`).",
    ),
    RuleInfo(
        "argument-invalid", INVALID,
        "A bad argument to a Python API call or a command-line option.",
        "Public functions and command-line options check their arguments (types and allowed "
        "values) and report a finding with exit 2 rather than a traceback from deep inside. "
        "The message names the argument and what it accepts.",
        bad="pf.register_component(\"initialiser\", MyInitializer)\n",
        good="pf.register_component(\"initializer\", MyInitializer)\n",
        fix="Pass an argument of the type and value the message names.",
    ),
    RuleInfo(
        "settings-invalid", INVALID,
        "The project settings ([tool.policyfactory] or policyfactory.toml) cannot be used.",
        "The settings file is not valid TOML, or names a setting that does not exist, gives one a "
        "value of the wrong type or out of range, names no rule under `severity`, or a policy that "
        "is neither built in nor a file. No command runs on settings it cannot read: it would judge "
        "files by other rules than the project's.",
        bad="[tool.policyfactory]\nformatt = \"json\"\n",
        good="[tool.policyfactory]\nformat = \"json\"\n",
        fix="Correct the setting at the reported line; `policyfactory config` shows what is in force.",
    ),
    # -- export ----------------------------------------------------------------------------------------
    RuleInfo(
        "export-input", INVALID,
        "`export` was given a file it cannot read as a `.keras` model.",
        "`export` reads the `config.json` member of a `.keras` file (a zip archive) as data: it "
        "never loads weights, deserializes objects or runs code. A missing file, a file that is "
        "not a zip (a legacy `.h5` file, a SavedModel folder), a missing or oversized "
        "`config.json` (over 64 MB) or one that is not JSON is refused.",
        bad="policyfactory export model.h5\n",
        good="policyfactory export model.keras -o model.yaml\n",
        fix="Save the model as `.keras` (`model.save(\"model.keras\")`), or export the live model with `pf.export(model)`.",
    ),
    RuleInfo(
        "export-unsupported", INVALID,
        "A part of a Keras model that the model file format cannot express.",
        "The model file describes layers from the catalog, each called once on earlier layers or "
        "model inputs. A layer called on several inputs (a shared layer), a nested or subclassed "
        "model, a Keras operation applied to symbolic tensors (`x * 2`, `keras.ops.concatenate`), "
        "a layer with several outputs, call arguments other than its inputs, and configuration "
        "values that are Keras objects rather than data cannot be written. Nothing is exported.",
        bad="shared = keras.layers.Dense(8)\nmodel = keras.Model(inp, shared(shared(inp)))\npf.export(model)\n",
        good="model = keras.Model(inp, keras.layers.Dense(8)(keras.layers.Dense(8)(inp)))\npf.export(model)\n",
        fix="Rewrite that part of the model with catalog layers called once each, then export again.",
    ),
    # -- policy findings (exit 1) ---------------------------------------------------------------------
    RuleInfo(
        "sharing-violation", POLICY,
        "A sharing group that the policy does not allow.",
        "A sharing group is the slots that receive one component instance (`{shared: NAME}`, "
        "or one object passed to several layers), or one initializer class with one explicit "
        "seed. Keras 3 initializers are stateless, so such slots start from one random stream "
        "and their weights are identical or correlated. The finding names every slot of the "
        "group and the rule or default that refused it.",
        bad="shared:\n"
            "  he: {initializer: HeNormal}\n"
            "layers:\n"
            "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: {shared: he}}\n"
            "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: {shared: he}}\n",
        good="layers:\n"
             "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
             "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n",
        fix="Write the component inline in each slot (fresh per slot), use a policy whose rule "
            "allows the group, or add `allow: [{rule: sharing-violation, slots: "
            "[dense_a.kernel_initializer, dense_b.kernel_initializer], reason: ...}]`.",
    ),
    RuleInfo(
        "correlated-weights", POLICY,
        "Weights hold identical or exactly proportional values: one random stream drew them all.",
        "`audit` compares the leading values of every pair of weights, in live and saved models "
        "alike, and joins pairs into groups: one finding per group names every weight. Identical "
        "values, or a correlation above 0.999, mean one initializer stream was drawn several times "
        "(a shared or identically seeded initializer), which makes units learn the same thing. "
        "Weights initialized deterministically (zeros, ones, normalization statistics) are skipped, "
        "and training moves the weights apart, so audit freshly built models.",
        bad="init = keras.initializers.HeNormal(seed=1)\n"
            "model = keras.Sequential([keras.Input((32,)),\n"
            "                          keras.layers.Dense(64, kernel_initializer=init),\n"
            "                          keras.layers.Dense(64, kernel_initializer=init)])\n"
            "pf.audit(model)\n",
        good="f = pf.LayerFactory(seed=1)\n"
             "model = keras.Sequential([keras.Input((32,)),\n"
             "                          f.Dense(64, kernel_initializer=\"he_normal\"),\n"
             "                          f.Dense(64, kernel_initializer=\"he_normal\")])\n"
             "pf.audit(model)\n",
        fix="Give each slot its own initializer (LayerFactory, or a model YAML without `shared:`), "
            "allow the group in the policy, or name its weights in an `audit --allow FILE` entry.",
    ),
    # -- warnings (exit 0) --------------------------------------------------------------------------
    RuleInfo(
        "allow-not-permitted", POLICY,
        "A model file's `allow:` entry under a policy that forbids suppressions.",
        "A policy with `allow_suppressions: false` (or one that extends such a policy) does not let "
        "model files silence its findings: every `allow:` entry is a finding, and the violations it "
        "would have suppressed are reported as well.",
        bad="# the policy says: allow_suppressions: false\nallow:\n  - {rule: sharing-violation, reason: tied on purpose}\n",
        good="# ask the policy owner for a rule that allows the sharing, with its reason\n",
        fix="Remove the allow: entry and fix the sharing, or change the policy (its owner decides).",
    ),
    RuleInfo(
        "unreachable-layer", WARNING,
        "A layer of a functional model that no output depends on.",
        "Keras builds a functional model from its outputs back to its inputs, so a layer that feeds "
        "no output is silently left out of the built model, with its weights. That is usually a "
        "wiring mistake: a misspelt `inputs:` reference, or an output that names an input instead "
        "of the last layer.",
        bad="inputs: {x: {shape: [4]}}\nlayers:\n  - {type: Dense, name: a, units: 2}\noutputs: [x]\n",
        good="inputs: {x: {shape: [4]}}\nlayers:\n  - {type: Dense, name: a, units: 2}\noutputs: [a]\n",
        fix="List the layer under outputs:, feed it to a layer that is, or remove it.",
    ),
    RuleInfo(
        "unused-shared", WARNING,
        "A component declared under `shared:` that no slot refers to.",
        "A `shared:` entry exists to be referenced with `{shared: NAME}`; one that nothing refers to "
        "is dead configuration, often a typo in the reference or a leftover after a refactoring.",
        bad="shared:\n  he: {initializer: HeNormal}\nlayers:\n  - {type: Dense, units: 4}\n",
        good="layers:\n  - {type: Dense, units: 4}\n",
        fix="Remove the entry, or refer to it with {shared: NAME} where it was meant to be used.",
    ),
    RuleInfo(
        "unused-allow", WARNING,
        "An `allow:` entry (in a model file or an `audit --allow` file) that suppresses no finding.",
        "An `allow:` entry names a finding's rule (or the policy rule id that decided it) and, "
        "optionally, the slots of the group. One that matches nothing is stale or mistyped, and "
        "would hide a future finding it was never meant for.",
        bad="layers:\n"
            "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
            "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n"
            "allow:\n"
            "  - rule: sharing-violation\n"
            "    slots: [dense_a.kernel_initializer, dense_b.kernel_initializer]\n"
            "    reason: Tied initial weights on purpose.\n",
        good="layers:\n"
             "  - {type: Dense, name: dense_a, units: 64, kernel_initializer: he_normal}\n"
             "  - {type: Dense, name: dense_b, units: 64, kernel_initializer: he_normal}\n",
        fix="Remove the entry, or correct its `rule:` or `slots:` to match the finding.",
    ),
)


def _table(entries: tuple[RuleInfo, ...]) -> dict[str, RuleInfo]:
    table: dict[str, RuleInfo] = {}
    for r in entries:
        if r.id in table:
            raise ValueError(f"rule id {r.id!r} is registered twice")
        if r.category not in CATEGORIES:
            raise ValueError(f"rule {r.id!r} has unknown category {r.category!r}")
        table[r.id] = r
    return table


RULES: dict[str, RuleInfo] = _table(_ENTRIES)


def rule_info(rule_id: str) -> RuleInfo:
    """The registered rule; raises KeyError(f"unknown rule id {rule_id!r}") otherwise."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule id {rule_id!r}") from None
