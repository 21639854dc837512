"""Fuzz: for every input, validate succeeds or fails with the tool's own error and a finding with a line.

Bounded in `make test`; `make fuzz` (PF_FUZZ_LONG=1) runs many more examples.
"""

import copy
import glob
import os

import yaml
from conftest import EXAMPLES, POLICIES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policyfactory.core.findings import InvalidInput
from policyfactory.core.validate import validate_loaded
from policyfactory.core.yamlload import load_file, load_text

LONG = os.environ.get("PF_FUZZ_LONG") == "1"
FUZZ = settings(max_examples=3000 if LONG else 150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

SEEDS = [load_file(p).value
         for p in sorted(glob.glob(os.path.join(EXAMPLES, "*.yaml")) + glob.glob(os.path.join(POLICIES, "*.yaml")))]


def check_text(text: str) -> None:
    """The property: no exception but our own, and every finding has a position."""
    try:
        loaded = load_text(text, "fuzz.yaml")
    except InvalidInput as exc:
        assert exc.findings and all(f.line >= 1 and f.column >= 1 for f in exc.findings)
        return
    result = validate_loaded(loaded)
    for f in result.findings:
        assert f.file and f.line >= 1 and f.column >= 1 and f.rule and f.message


YAML_ALPHABET = st.sampled_from(list("abcdefkLmnopstuyz:{}[],-&*!|>'\"#%@`?<=. \n\t0123456789") +
                                ["kind", "model", "policy", "layers", "type", "Dense", "LSTM", "shared", "units",
                                 "version", "1", "!!python/object:os.system", "<<", "*a", "&a", "\n  - ", ": ",
                                 "kernel_initializer", "{shared: x}", "class_name", "config", "seed"])


@FUZZ
@given(st.lists(YAML_ALPHABET, max_size=80).map("".join))
def test_random_yaml_text(text):
    check_text(text)


@FUZZ
@given(st.text(max_size=200))
def test_random_unicode_text(text):
    check_text(text)


LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=False),
                   # the Hardening II families: huge numbers, non-finite, names Keras refuses, paths, controls
                   st.sampled_from([10**60, 10**10, -1, 0, float("inf"), float("nan"), "a/b", "", "x\x1b[31m",
                                    "/etc/passwd", "../../etc/passwd", "input", "notadtype", "causal"]),
                   st.text(max_size=12), st.sampled_from(["Dense", "he_normal", "UnitNorm", "l2", "LSTM", "strict",
                                                          "Lambda", "os", "relu", "initializer", "constraint"]))
VALUES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["shared", "class_name", "config", "module", "type", "units", "seed", "layer"]), inner, max_size=3)),
    max_leaves=8)


def paths_of(value, prefix=()):
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths_of(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths_of(v, prefix + (i,))
    return out


def get(value, path):
    for p in path:
        value = value[p]
    return value


@st.composite
def mutated_examples(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in paths_of(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = get(doc, path[:-1])
        key = path[-1]
        op = draw(st.sampled_from(["drop", "rename", "retype", "swap", "duplicate"]))
        if op == "drop":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=10) | st.sampled_from(["layrs", "share", "units", "kind", "polcy"]))] = parent.pop(key)
        elif op == "retype":
            parent[key] = draw(VALUES)
        elif op == "swap":
            other = draw(st.sampled_from(paths))
            try:
                a, b = get(doc, path), get(doc, other)
                parent[key] = copy.deepcopy(b)
                get(doc, other[:-1])[other[-1]] = copy.deepcopy(a)
            except (KeyError, IndexError, TypeError):
                pass
        elif op == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    if draw(st.booleans()):  # duplicate one line: duplicate keys, repeated items
        lines = text.splitlines(keepends=True)
        i = draw(st.integers(0, max(0, len(lines) - 1)))
        lines.insert(i, lines[i] if lines else "")
        text = "".join(lines)
    return text


@FUZZ
@given(mutated_examples())
def test_mutated_examples(text):
    check_text(text)
