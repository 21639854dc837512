"""Rules of the YAML loader (`core/yamlload.py`): the file as YAML, before any schema."""

from ..ruletype import INVALID, Rule

YAML_SYNTAX = Rule(
    "yaml-syntax", INVALID,
    "The file is not valid YAML.",
    "The YAML parser stopped at the reported line and column: an unclosed bracket or quote, "
    "a bad indent, a tab used for indentation. Nothing else in the file can be checked until "
    "it parses, so this is the only finding for the file.",
    bad="layers:\n  - {type: Dense, units: 8\n",
    good="layers:\n  - {type: Dense, units: 8}\n",
    fix="Correct the YAML at the reported position (brackets, quotes, indentation with spaces).",
)


YAML_TAG = Rule(
    "yaml-tag", INVALID,
    "A YAML tag other than the core ones (no Python objects are ever built).",
    "Only plain YAML data is read: a tag such as `!!python/object` or a custom `!Tag` is "
    "refused before any value is built, so a file can never make the loader create objects "
    "or run code. A core tag whose text does not fit it (`!!int abc`) is refused too.",
    bad="layers:\n  - !!python/object:keras.layers.Dense {units: 8}\n",
    good="layers:\n  - {type: Dense, units: 8}\n",
    fix="Remove the tag and write the value as plain YAML data (layers by `type:`).",
)


YAML_DUPLICATE_KEY = Rule(
    "yaml-duplicate-key", INVALID,
    "A mapping repeats a key.",
    "Most YAML loaders silently keep the last of two equal keys, so one of the values the "
    "author wrote would be ignored. policyfactory refuses the file at the duplicate, also in "
    "nested mappings and next to `<<` merge keys, and names the line of the first one.",
    bad="layers:\n  - {type: Dense, units: 8, units: 16}\n",
    good="layers:\n  - {type: Dense, units: 16}\n",
    fix="Keep one of the two keys (the message names the line of the first).",
)


YAML_KEY = Rule(
    "yaml-key", INVALID,
    "A mapping key that is not a plain scalar (a list or a mapping used as a key).",
    "YAML allows complex keys (`? [a, b]`), but no field of a policy or model file has one, "
    "and they cannot be reported by name. Keys must be plain strings or numbers.",
    bad="layers:\n  - {type: Dense, [units]: 8}\n",
    good="layers:\n  - {type: Dense, units: 8}\n",
    fix="Write the key as a plain string.",
)


YAML_ALIAS = Rule(
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
)


YAML_MERGE = Rule(
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
)


YAML_MULTIPLE_DOCUMENTS = Rule(
    "yaml-multiple-documents", INVALID,
    "The file holds several YAML documents (`---`); one file is one policy or model.",
    "A file is judged as one policy or one model by its `kind:`. A second document after "
    "`---` would be silently ignored by most tools, so it is refused instead.",
    bad="kind: policy\nversion: 1\nname: team\n---\nkind: model\nversion: 1\n",
    fix="Put each document in its own file.",
)


YAML_EMPTY = Rule(
    "yaml-empty", INVALID,
    "The file is empty or holds only comments.",
    "An empty file has no `kind:`, so it is neither a policy nor a model. This usually means "
    "a file was truncated or a glob picked up a placeholder.",
    bad="# models go here\n",
    good="kind: model\nversion: 1\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1}\n",
    fix="Write the policy or model into the file, or leave the file out of the run.",
    example="file",
)


YAML_ENCODING = Rule(
    "yaml-encoding", INVALID,
    "The file is not UTF-8 text (invalid UTF-8, or a NUL byte).",
    "Policy and model files are read as UTF-8 text; a NUL byte or an invalid byte sequence "
    "means a binary file or a file saved in another encoding. The finding points at the "
    "first bad byte.",
    fix="Save the file as UTF-8 text, or leave binary files (such as .keras) out of `validate`.",
    example="none",
)
