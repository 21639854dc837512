"""Limits: every input is bounded (size, depth, nodes, layers, numbers, weights, archives)."""

from ..ruletype import INVALID, Rule

LIMIT_FILE_SIZE = Rule(
    "limit-file-size", INVALID,
    "The file is larger than the size limit (5 MB unless raised with --max-bytes).",
    "Every input is bounded so that a hostile or accidental huge file cannot exhaust memory "
    "or time. The file is refused before it is parsed.",
    fix="Split the file, or raise the limit with `--max-bytes N` if the file is legitimate.",
    example="none",
)


LIMIT_DEPTH = Rule(
    "limit-depth", INVALID,
    "Nesting deeper than the limit (64 levels of mappings and lists).",
    "No real policy or model needs more than a few levels of nesting, even with wrappers and "
    "RNN cells. Very deep nesting is refused while parsing, so it can never exhaust the stack.",
    fix="Flatten the structure; wrappers nest layers only a few levels deep.",
    example="none",
)


LIMIT_NODES = Rule(
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
)


LIMIT_LAYERS = Rule(
    "limit-layers", INVALID,
    "More layers in one model file than the limit (50,000).",
    "Layers are counted as they are checked, wrapped layers and RNN cells included. The limit "
    "bounds the time and memory of `validate`; the finding is reported once, at the first "
    "layer over the limit.",
    fix="Split the model into several files, or generate it from Python with LayerFactory.",
    example="none",
)


LIMIT_NUMBER = Rule(
    "limit-number", INVALID,
    "An integer with more digits than any argument needs (over 40).",
    "Python refuses to convert integers of more than 4,300 digits and a seed or a layer size "
    "never needs more than a handful, so the loader refuses long integers (decimal, hex or octal) "
    "where they stand, instead of spending time on them or failing later.",
    bad="seed: 123456789012345678901234567890123456789012345678901234567890\n",
    good="seed: 1234\n",
    fix="Write a smaller number.",
)


LIMIT_PARAMS = Rule(
    "limit-params", INVALID,
    "A layer would hold more parameters than the budget (`--max-params`, default 1,000,000,000).",
    "`validate` estimates each layer's weights from its arguments (units, filters, kernel size, "
    "embedding sizes, the previous layer's width where it is known), so a typo such as "
    "`units: 10000000000` is a finding before `build` tries to allocate 40 GB.",
    bad="layers:\n  - {type: Dense, units: 10000000000}\n",
    good="layers:\n  - {type: Dense, units: 1000}\n",
    fix="Fix the size, or raise the budget with --max-params if the model really is that large.",
)
