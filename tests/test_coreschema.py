"""The core schema that validates well-formed files at start-up is the Pydantic models' own, and agrees with them."""

import functools
import glob
import os
import subprocess
import sys

import pytest
from conftest import EXAMPLES, POLICIES, ROOT
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import SchemaValidator

from policyfactory.core import coreschema
from policyfactory.core.coreschema import Record
from policyfactory.core.filemodels import MODELS
from policyfactory.core.yamlload import load_file

KIND_TO_MODEL = {"policy": "PolicyFile", "model": "ModelFile"}


def test_coreschema_json_is_derived_from_the_models():
    """Fails after a change to filemodels.py until `make coreschema` is run."""
    with open(coreschema.PATH, encoding="utf-8") as fh:
        assert fh.read() == coreschema.dumps(coreschema.derive_all())


def plain(value):
    if isinstance(value, Record):
        return {k: plain(v) for k, v in vars(value).items() if k != "_record"}
    if hasattr(value, "model_dump"):
        return {k: plain(getattr(value, k)) for k in type(value).model_fields} | {
            k: plain(v) for k, v in (value.model_extra or {}).items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def judged_alike(name, data):
    """Both accept with the same fields and defaults, or both refuse."""
    try:
        ours = coreschema.validate(name, data)
    except ValidationError:
        ours = None
    try:
        theirs = MODELS[name].model_validate(data)
    except ValidationError:
        theirs = None
    assert (ours is None) == (theirs is None), (name, data)
    if ours is not None:
        assert plain(ours) == plain(theirs)
    return ours is not None


@functools.lru_cache(maxsize=1)
def shipped_files():
    files = glob.glob(os.path.join(EXAMPLES, "*.yaml")) + glob.glob(os.path.join(POLICIES, "*.yaml"))
    files += glob.glob(os.path.join(ROOT, "tests", "corpus", "*.yaml"))
    out = []
    for path in sorted(files):
        try:
            value = load_file(path).value
        except Exception:  # files the loader refuses never reach a schema
            continue
        if isinstance(value, dict) and value.get("kind") in KIND_TO_MODEL:
            out.append((KIND_TO_MODEL[value["kind"]], value))
    return tuple(out)


def test_every_shipped_and_corpus_file_is_judged_alike():
    results = [judged_alike(name, value) for name, value in shipped_files()]
    assert any(results) and not all(results)  # both outcomes are exercised


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False), st.text(max_size=4),
                    st.sampled_from(["*", "deny", "allow", "initializer", "policy", "model", "Dense"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=6), inner, max_size=3)),
                      max_leaves=6)


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from paths(v, prefix + (i,))


def mutated(value, path, new, how):
    if not path:
        return new if how == "replace" else value
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        out = dict(value)
        if not rest and how == "delete":
            out.pop(head, None)
        elif not rest and how == "add":
            out[str(head) + "_x"] = new
        else:
            out[head] = mutated(value[head], rest, new, how)
        return out
    out = list(value)
    out[head] = mutated(value[head], rest, new, how)
    return out


def draw_mutated(data, values):
    """(format name, a shipped or corpus file with one value replaced, deleted or added)."""
    name, value = data.draw(st.sampled_from(shipped_files()))
    path = data.draw(st.sampled_from(list(paths(value))))
    how = data.draw(st.sampled_from(["replace", "delete", "add"]))
    return name, mutated(value, path, data.draw(values), how)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.data())
def test_mutated_files_are_judged_alike(data):
    judged_alike(*draw_mutated(data, VALUES))


def test_a_well_formed_file_is_validated_without_building_pydantic_models():
    code = ("import sys\nfrom policyfactory.cli import main\n"
            f"code = main(['validate', {os.path.join(EXAMPLES, 'forecaster.yaml')!r}])\n"
            "assert code == 0, code\n"
            "assert 'pydantic.main' not in sys.modules, 'Pydantic models were built'\n"
            "assert 'pydantic_core' not in sys.modules, 'pydantic_core was imported'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def exact(value):
    """A value with every type spelt out, so 1, 1.0 and True differ (as pydantic_core's outputs do)."""
    if isinstance(value, dict):
        return ("dict", sorted((repr(k), exact(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", [exact(v) for v in value])
    return (type(value).__name__, repr(value))


def answered_alike(schema, data):
    """The plain check vouches only for what pydantic_core's strict validation accepts, with the same output."""
    try:
        ours = coreschema.checked(schema, data)
    except coreschema.Unsure:
        return False
    theirs = SchemaValidator(schema).validate_python(data, strict=True)  # raises if the plain check was wrong
    assert exact(ours) == exact(theirs), (schema, data)
    return True


def test_the_plain_check_vouches_for_every_well_formed_shipped_file():
    """Every file pydantic_core accepts is accepted by the plain check, so `validate` of it skips pydantic_core."""
    for name, value in shipped_files():
        schema = coreschema.schema(name)
        try:
            SchemaValidator(schema).validate_python(value, strict=True)
        except ValidationError:
            assert not answered_alike(schema, value)
            continue
        assert answered_alike(schema, value), (name, value.get("name"))


MORE = st.one_of(VALUES, st.integers(), st.floats(), st.text(), st.sampled_from(
    [2 ** 53, 2 ** 53 + 1, -(2 ** 64), "a\n", "x\u0085", "\u00e9t\u00e9", " ", "\x1c", "a.b", "a..b", "_1", "1a",
     "\ud800", "a\udc80b", {"\ud800": 1}]))


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.data())
def test_the_plain_check_answers_as_pydantic_core_on_mutated_files(data):
    name, value = draw_mutated(data, MORE)
    answered_alike(coreschema.schema(name), value)


def schema_nodes(node):
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and node["type"] not in ("typed-dict-field", "definition-ref"):
            yield node
        for key, value in node.items():
            if key != "metadata":
                yield from schema_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_nodes(value)


LEAVES = [n for name in ("ModelFile", "PolicyFile", "AllowFile", "SettingsFile")
          for n in schema_nodes(coreschema.schema(name))
          if n["type"] in ("str", "int", "float", "bool", "literal", "nullable", "list", "dict")
          and "definition-ref" not in repr(n)]


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.sampled_from(LEAVES), MORE)
def test_the_plain_check_answers_as_pydantic_core_on_every_part_of_the_schemas(schema, value):
    """Each constrained string (patterns: `\\S`, identifiers), number, literal and list of the file formats."""
    answered_alike(schema, value)


TRICKY = [True, False, 0, 1, 2, -1, 1.0, 0.5, float("nan"), float("inf"), 2 ** 53 + 1, None, "", " ", "a\n", "\u00e9",
          "\ud800", "x\udfff", {"\ud800": 1},
          "initializer", "*", [], [1], {}, {"a": 1}]


def test_the_plain_check_answers_as_pydantic_core_on_the_tricky_values():
    """Every part of the schemas against each value where Python and pydantic_core tend to differ (True is 1)."""
    assert sum(answered_alike(schema, value) for schema in LEAVES for value in TRICKY) > len(LEAVES)


@pytest.mark.parametrize("schema", [{"type": "str", "strip_whitespace": True}, {"type": "float", "allow_inf_nan": False},
                                    {"type": "tuple"}, {"type": "union", "choices": [[{"type": "int"}, "i"]]}])
def test_the_plain_check_leaves_to_pydantic_core_what_it_does_not_know(schema):
    with pytest.raises(coreschema.Unsure):
        coreschema.checked(schema, " 1 ")


@pytest.mark.parametrize(("schema", "data"), [
    ({"type": "str", "min_length": 1}, "\ud800"),  # found by an attack pass: pydantic_core refuses, the check took it
    ({"type": "typed-dict", "fields": {}, "extra_behavior": "allow"}, {"\udc80": 1}),
])
def test_a_lone_surrogate_is_left_to_pydantic_core(schema, data):
    with pytest.raises(ValidationError):
        SchemaValidator(schema).validate_python(data, strict=True)
    assert not answered_alike(schema, data)
