"""`record` makes the class `@dataclass` makes: the same signature, repr, equality, hash, frozenness and fields.

Each case is written once and made twice, with `dataclasses` and with `policyfactory.core.records`, and the
two are compared on what a caller sees. Every record class of the package is also checked against a dataclass
made from its own fields.
"""

import copy
import dataclasses
import importlib
import inspect
import pickle
import pkgutil

import pytest

import policyfactory
from policyfactory.core import records
from policyfactory.core.records import record

DATACLASSES = (dataclasses.dataclass, dataclasses.field, dataclasses.fields, dataclasses.replace)
RECORDS = (records.record, records.field, records.fields, records.replace)


def field(**options):
    """A field's options, made into `dataclasses.field` or `records.field` by `made`."""
    return ("field", options)


def cases():
    """(name, options, class body) of every option the package's records use, and a few more."""
    def post(self):
        object.__setattr__(self, "total", self.a + len(self.items))

    return [
        ("Plain", {}, {"__annotations__": {"a": "int", "b": "str"}, "b": "x"}),
        ("Frozen", {"frozen": True}, {"__annotations__": {"a": "int", "b": "list"}, "b": field(default_factory=list)}),
        ("NoEq", {"eq": False}, {"__annotations__": {"a": "int"}}),
        ("FrozenNoEq", {"frozen": True, "eq": False}, {"__annotations__": {"a": "int", "b": "int"}, "b": 2}),
        ("Options", {"frozen": True}, {
            "__annotations__": {"a": "int", "items": "tuple", "data": "dict", "help": "str", "fix": "object",
                                "total": "int", "tag": "str"},
            "tag": field(default="t", hash=False),
            "items": field(default_factory=tuple), "data": field(default_factory=dict, compare=False, hash=False),
            "help": field(default="", compare=False), "fix": field(default=None, compare=False, repr=False),
            "total": field(default=0, init=False), "__post_init__": post}),
        ("InitFalse", {}, {"__annotations__": {"a": "int", "later": "list", "unset": "int"},
                           "later": field(init=False, default_factory=list), "unset": field(init=False),
                           "__post_init__": lambda self: setattr(self, "unset", self.a * 2)}),
        ("OwnRepr", {"frozen": True}, {"__annotations__": {"a": "int"}, "__repr__": lambda self: "mine"}),
        ("OwnEq", {"frozen": True}, {"__annotations__": {"a": "int"}, "__eq__": lambda self, other: True}),
        ("OwnHash", {}, {"__annotations__": {"a": "int"}, "__hash__": lambda self: 7}),
    ]


def made(impl, name, options, body, base=object):
    decorator, make_field = impl[0], impl[1]
    namespace = {k: (make_field(**v[1]) if isinstance(v, tuple) and v[:1] == ("field",) else v)
                 for k, v in body.items()}
    namespace["__annotations__"] = dict(body["__annotations__"])
    namespace["__module__"] = __name__
    return decorator(**options)(type(name, (base,), namespace))


def instances(cls):
    required = [p for p in list(inspect.signature(cls).parameters.values()) if p.default is inspect.Parameter.empty]
    values = {"a": 1, "b": [1], "items": (2, 3)}
    yield cls(**{p.name: values.get(p.name, 1) for p in required})
    yield cls(**{p.name: values.get(p.name, 1) for p in required})
    yield cls(**{p.name: 5 for p in required})


def seen(cls, impl):
    """What a caller can observe of a class and three instances of it (two equal by fields)."""
    fields, replace = impl[2], impl[3]
    missing = dataclasses.MISSING if impl is DATACLASSES else records.MISSING
    out = {"signature": str(inspect.signature(cls)), "match_args": getattr(cls, "__match_args__", None),
           "fields": [(f.name, f.type, "missing" if f.default is missing else f.default, f.default_factory is not missing,
                       f.init, f.repr, f.compare, f.hash) for f in fields(cls)],
           "hash is None": cls.__hash__ is None, "class defaults": {f.name: vars(cls).get(f.name) for f in fields(cls)}}
    objs = list(instances(cls))
    out["repr"] = [repr(o) for o in objs]
    out["eq"] = [objs[0] == objs[1], objs[0] == objs[2], objs[0] != objs[1], objs[0] == "x"]
    try:
        # the values (the same fields hashed: one process, one str hash), or the identity hash of eq=False
        out["hash"] = [hash(o) if cls.__hash__ is not object.__hash__ else "identity" for o in objs]
    except TypeError as exc:  # unhashable: a mutable class, or a list among the fields
        out["hash"] = str(exc)
    out["vars"] = [vars(o) for o in objs]
    out["replace"] = repr(replace(objs[0], a=9))
    out["copy"] = [repr(copy.deepcopy(o)) for o in objs]
    for how in ("set", "delete"):
        try:
            setattr(objs[0], "a", 3) if how == "set" else delattr(objs[0], "a")
            out[how] = "allowed"
        except dataclasses.FrozenInstanceError as exc:
            out[how] = str(exc)
    return out


@pytest.mark.parametrize(("name", "options", "body"), cases(), ids=[c[0] for c in cases()])
def test_a_record_is_seen_as_the_dataclass_of_the_same_class(name, options, body):
    assert seen(made(RECORDS, name, options, body), RECORDS) == seen(made(DATACLASSES, name, options, body), DATACLASSES)


def test_a_record_subclass_takes_its_bases_fields_as_a_dataclass_does():
    for impl in (RECORDS, DATACLASSES):
        base = made(impl, "Base", {"frozen": True}, {"__annotations__": {"a": "int"}})
        child = made(impl, "Child", {"frozen": True}, {"__annotations__": {"b": "int"}, "b": 4}, base)
        assert repr(child(1)) == "Child(a=1, b=4)" and child(1) == child(1, 4) and child(1) != base(1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            child(1).b = 2


def test_a_non_default_field_after_a_default_one_is_refused_as_by_dataclass():
    body = {"__annotations__": {"a": "int", "b": "int"}, "a": 1}
    for impl in (RECORDS, DATACLASSES):
        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
            made(impl, "Bad", {}, body)


def test_an_option_record_does_not_take_is_an_error():
    with pytest.raises(TypeError):
        record(order=True)  # type: ignore[call-overload]


def package_records():
    out = []
    for info in pkgutil.walk_packages(policyfactory.__path__, "policyfactory."):
        if ".keras_side" in info.name or info.name.endswith(("__main__", "tfquiet")):
            continue
        module = importlib.import_module(info.name)
        out += [v for v in vars(module).values() if isinstance(v, type) and v.__module__ == info.name
                and "__record_fields__" in vars(v)]
    return out


def test_every_record_of_the_package_has_the_init_and_eq_of_its_dataclass():
    """Each record's own fields made into a dataclass again: the same signature, and equality by the same fields."""
    classes = package_records()
    assert len(classes) >= 33
    def plain(value):
        return dataclasses.MISSING if value is records.MISSING else value

    for cls in classes:
        twin = dataclasses.make_dataclass(cls.__name__, [(f.name, f.type, dataclasses.field(
            default=plain(f.default), default_factory=plain(f.default_factory), init=f.init, repr=f.repr, hash=f.hash,
            compare=f.compare)) for f in records.fields(cls)], **cls.__record_params__)
        assert str(inspect.signature(cls)) == str(inspect.signature(twin)), cls
        assert (cls.__hash__ is None) == (twin.__hash__ is None) or "__hash__" in vars(cls), cls


def test_a_record_pickles():
    Point = made(RECORDS, "Point", {"frozen": True}, {"__annotations__": {"x": "int"}})
    globals()["Point"] = Point
    try:
        assert pickle.loads(pickle.dumps(Point(3))) == Point(3)
    finally:
        del globals()["Point"]


@pytest.mark.parametrize(("body", "error"), [
    ({"__annotations__": {"a": "list"}, "a": []}, ValueError),  # a mutable default
    ({"__annotations__": {"a": "int"}, "a": field(default=1, default_factory=int)}, ValueError),
])
def test_a_field_dataclasses_refuses_is_refused(body, error):
    for impl in (RECORDS, DATACLASSES):
        with pytest.raises(error):
            made(impl, "Bad", {}, body)


@pytest.mark.parametrize(("base_frozen", "child_frozen"), [(True, False), (False, True)])
def test_frozenness_is_inherited_as_dataclasses_require(base_frozen, child_frozen):
    messages = []
    for impl in (RECORDS, DATACLASSES):
        base = made(impl, "Base", {"frozen": base_frozen}, {"__annotations__": {"a": "int"}})
        with pytest.raises(TypeError) as caught:
            made(impl, "Child", {"frozen": child_frozen}, {"__annotations__": {"b": "int"}}, base)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]


def test_a_default_held_by_a_base_counts_as_with_dataclasses():
    """Found by an attack pass: a field annotated again in a subclass keeps the default a base or mixin holds."""
    class Mixin:
        y = 7

    for impl in (RECORDS, DATACLASSES):
        base = made(impl, "Base", {}, {"__annotations__": {"x": "int"}, "x": 5})
        child = made(impl, "Child", {}, {"__annotations__": {"x": "int"}}, base)
        mixed = made(impl, "Mixed", {}, {"__annotations__": {"y": "int"}}, Mixin)
        assert (str(inspect.signature(child)), child().x, mixed().y) == ("(x: 'int' = 5) -> None", 5, 7)


def test_what_dataclasses_refuse_or_take_in_a_class_body_records_do_alike():
    """Found by an attack pass: a field() without annotation is an error; a field may be called `self`; a frozen
    class's own __delattr__ is named in the error."""
    for impl in (RECORDS, DATACLASSES):
        with pytest.raises(TypeError, match="'b' is a field but has no type annotation"):
            made(impl, "NoAnnotation", {}, {"__annotations__": {"a": "int"}, "b": field(default=3)})
        selfish = made(impl, "Selfish", {}, {"__annotations__": {"self": "int", "other": "int"}})
        assert repr(selfish(1, 2)) == "Selfish(self=1, other=2)"
        with pytest.raises(TypeError, match="Cannot overwrite attribute __delattr__"):
            made(impl, "OwnDel", {"frozen": True}, {"__annotations__": {"a": "int"}, "__delattr__": lambda s, n: None})
