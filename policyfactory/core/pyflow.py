"""Where component objects go in Keras source code: a static walk that never runs the code.

Why: one initializer object reaching several slots is the bug (`self.kernel_initializer =
keras.initializers.get(clone_initializer(x))` passed to the query, key, value and output
projections of keras_hub's Llama, Mistral, Gemma ...), and it is written in Python, not in
model files. This module reads parsed sources (`pyread.PyUnit`) and returns every *use*: one
slot of one layer construction and the value that reaches it.

What a value is (an abstract value is a set of these atoms; an empty set is a value that
cannot matter: a string, a config dict, None, a number, or what cannot be known):

* `Obj`: one component object made at one place: a constructor call
  (`keras.initializers.HeNormal()`), `keras.initializers.get(...)`, `deserialize(...)`,
  keras_hub's `clone_initializer(...)` of an object, or a helper function of the files
  read that returns one. A place inside a loop makes a new object on every pass; a config
  dict with an explicit seed is a fresh object with that seed (only its seed can matter).
* `ParamV`: a function's parameter: the caller may pass a string (fresh at every slot) or
  one object (shared by every slot), so the source alone cannot tell (`unknown-origin`).

What is followed: assignments to names and to `self.` attributes (an attribute set in
`__init__` is read in `build`), `if`/`else` (either value), loops (a slot inside a loop
that an object was made outside of receives it on every pass: several slots), calls of
the functions and classes of the files read together (their parameters bound to the
arguments, so an object passed to a helper that gives it to two layers is found), and
module-level names. Keras layers are recognised through imports (`keras.layers.X`,
`from keras import layers`, `tf.keras`, `tf_keras`, star imports), subclasses of catalog
layers, and `add_weight(initializer=...)`.

What Keras copies: `MultiHeadAttention`/`GroupQueryAttention` build each projection's
initializer from the given one's config (fresh, unless it has an explicit seed: then four
projections draw one stream); `Bidirectional` builds the backward layer from the forward
one's config (the same: only an explicit seed is kept).

    >>> from policyfactory.core.pyread import read_source
    >>> src = b"import keras\\ninit = keras.initializers.HeNormal()\\n" \\
    ...       b"a = keras.layers.Dense(2, kernel_initializer=init)\\nb = keras.layers.Dense(2, kernel_initializer=init)\\n"
    >>> uses = analyze([read_source("m.py", src)]).uses
    >>> [(u.layer, u.line, u.atom.key == uses[0].atom.key) for u in uses]
    [('a', 3, True), ('b', 4, True)]
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from .catalog import LayerType, catalog
from .layerinfo import ATTENTION_TYPES
from .pyread import PyUnit
from .records import field, record, replace

KINDS = {"initializers": "initializer", "regularizers": "regularizer", "constraints": "constraint"}
SUFFIXES = {"_initializer": "initializer", "_regularizer": "regularizer", "_constraint": "constraint"}
ADD_WEIGHT_ARGS = {"initializer": "initializer", "regularizer": "regularizer", "constraint": "constraint"}
KERAS_ROOTS = ("keras", "tensorflow", "tf_keras", "tf", "keras_core")
PROJECTIONS = ("query", "key", "value", "attention_output")
CLONERS = ("clone_initializer",)  # keras_hub's: a new object from the given one's config (a string stays a string)
MAX_DEPTH = 8  # calls followed into the files' functions and classes, one inside another
MAX_INLINE = 20_000  # calls followed in one run (each is a walk of the callee's body)


@record(frozen=True)
class Obj:
    """One component object (or, `fresh`, a new object per slot that only its explicit seed ties)."""

    key: str
    kind: str | None
    class_name: str | None  # the catalog class when known
    seed: int | str | None  # an explicit seed: a number, or the name of one variable; None: unseeded or unknown
    label: str  # how findings name it
    loops: tuple[int, ...] = ()  # the loops around the place it was made
    fresh: bool = False
    maybe: bool = False  # clone_initializer of a parameter: an object only if the caller passed one
    param: str | None = None  # initializers.get(parameter): the caller's own object, when it passed one


@record(frozen=True)
class ParamV:
    """A parameter of a function or class: what reaches it is the caller's."""

    key: str
    name: str
    scope: str
    default: str | None = None  # a string default ("zeros"): what it is when the caller gives nothing
    none_default: bool = False  # its default is None (a regularizer or constraint left out)


@record(frozen=True)
class IntV:
    value: int


@record(frozen=True)
class StrV:
    """A string (a component's name, "he_normal"): fresh in every slot, but `get("zeros")` is a Zeros."""

    value: str


@record(frozen=True)
class DictV:
    """A dict of keyword arguments (`dict(kernel_initializer=init)`, `{"kernel_initializer": init}`), for `**kw`."""

    items: tuple[tuple[str, Value], ...]


@record(frozen=True)
class PartialV:
    """`functools.partial(layers.Dense, kernel_initializer=init)`: a layer type with arguments bound."""

    layer_type: str
    items: tuple[tuple[str, Value], ...]


@record(frozen=True, eq=False)
class LambdaV:
    """A lambda bound to a name: its body is walked at every call."""

    node: ast.Lambda


@record(eq=False)
class LayerV:
    """A layer construction (kept so that `Bidirectional(layer)` knows the uses of the layer it copies)."""

    layer_type: str
    uses: list[Use] = field(default_factory=list)


@record(frozen=True, eq=False)
class CallableV:
    """A function or class of the files read (a name bound to it)."""

    info: FuncInfo | ClassInfo


Atom = Obj | ParamV | IntV | StrV | DictV | PartialV | LambdaV | LayerV | CallableV
Value = frozenset  # of Atom
NOTHING: Value = frozenset()


@record(frozen=True)
class Use:
    """One slot of one layer construction, and one object (or parameter) that reaches it."""

    atom: Obj | ParamV
    layer: str  # e.g. "LlamaAttention._query_dense", or the layer's name=, or "Dense@12"
    layer_type: str
    arg: str
    kind: str
    role: str
    owner: str
    unit: PyUnit
    line: int
    column: int
    ctx: tuple[str, ...]
    repeated_at: int | None = None  # the line of a loop that gives this slot the object again on every pass
    branch: tuple[tuple[int, int], ...] = ()  # (if statement, branch) around it

    def together(self, other: Use) -> bool:
        """Whether both slots can get their object in one run: not in two branches of one `if`."""
        mine = dict(self.branch)
        return all(mine.get(site, i) == i for site, i in other.branch)

    @property
    def label(self) -> str:
        return f"{self.layer}.{self.arg}"


@record
class ModuleInfo:
    unit: PyUnit
    dotted: str  # the file's path as a dotted name ("keras_hub.src.models.llama.llama_attention")
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted origin
    star: list[str] = field(default_factory=list)  # modules imported with *
    defs: dict[str, FuncInfo | ClassInfo] = field(default_factory=dict)
    env: dict[str, Value] = field(default_factory=dict)  # module-level names, after the module's own statements


@record(eq=False)
class FuncInfo:
    name: str
    node: ast.FunctionDef | ast.AsyncFunctionDef
    module: ModuleInfo
    reads_globals: bool = False  # reads a module-level name that holds a component object

    @property
    def params(self) -> list[str]:
        a = self.node.args
        return [p.arg for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]]

    def bind(self, pos: list[Value], kw: dict[str, Value], skip_self: bool = False) -> dict[str, Value]:
        """Arguments to parameters: positional ones to positional parameters only (`*args` takes the rest)."""
        a = self.node.args
        positional = [p.arg for p in [*a.posonlyargs, *a.args]]
        if skip_self and positional and positional[0] in ("self", "cls"):
            positional = positional[1:]
        return {**dict(zip(positional, pos)), **kw}

    @property
    def defaults(self) -> dict[str, ast.expr]:
        a = self.node.args
        positional = [*a.posonlyargs, *a.args]
        out: dict[str, ast.expr] = dict(zip([p.arg for p in positional[len(positional) - len(a.defaults):]],
                                            a.defaults))
        out.update({p.arg: d for p, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None})
        return out

    def param_values(self, ctx: str, scope: str, skip_self: bool = False,
                     evaluated: dict[str, Value] | None = None) -> dict[str, Value]:
        """Every parameter as an unknown value (with its literal default, when it has one), and what its
        default evaluates to (`evaluated`: made once, when the function was defined, and shared by calls)."""
        defaults = self.defaults
        out = {}
        names = self.params[1:] if skip_self and self.params and self.params[0] in ("self", "cls") else self.params
        for name in names:
            d = defaults.get(name)
            text = d.value if isinstance(d, ast.Constant) and isinstance(d.value, str) else None
            none = isinstance(d, ast.Constant) and d.value is None
            out[name] = frozenset({ParamV(f"{ctx}:{name}", name, scope, text, none)}) | (evaluated or {}).get(
                name, NOTHING)
        return out


@record(eq=False)
class ClassInfo:
    name: str
    node: ast.ClassDef
    module: ModuleInfo
    methods: dict[str, FuncInfo] = field(default_factory=dict)
    bases: list[ast.expr] = field(default_factory=list)
    _self_calls: set[str] | None = None

    @property
    def self_calls(self) -> set[str]:
        """Methods called as self.m(...) inside the class: read from its text once needed (a walk of its
        nodes would cost as much as parsing it)."""
        if self._self_calls is None:
            lines = self.module.unit.lines[self.node.lineno - 1: self.node.end_lineno or self.node.lineno]
            self._self_calls = set(_SELF_CALL.findall("\n".join(lines)))
        return self._self_calls


@record
class Frame:
    """One walk of one body: its names, the instance's attributes, the loops and the calls around it."""

    module: ModuleInfo
    scope: str
    env: dict[str, Value]
    attrs: dict[str, Value] | None = None  # `self.` attributes of the instance being built
    cls: ClassInfo | None = None
    loops: tuple[int, ...] = ()
    ctx: tuple[str, ...] = ()
    depth: int = 0
    returns: set = field(default_factory=set)
    hint: str = ""  # the name the value being walked is bound to (`init = HeNormal()`, `self.dense = Dense(...)`)
    hint_node: ast.expr | None = None  # that value

    def hint_for(self, node: ast.AST) -> str:
        """The bound name, for the value's own node (`x = Dense(...)(x)` binds an output, not the layer)."""
        return self.hint if self.hint_node is not None and node is self.hint_node else ""
    extra: dict[str, Value] = field(default_factory=dict)  # keyword arguments that went to **kwargs
    branch: tuple[tuple[int, int], ...] = ()  # the if/else branches around the statement being walked


class Analyzer:
    """Every use of every source read together (calls between them are followed)."""

    _EXPRS: dict[type, Callable[..., Value]] = {}  # expression type -> its method (filled below the class)

    def __init__(self, units: Sequence[PyUnit]):
        self.modules = [ModuleInfo(u, _dotted(u.path)) for u in units if u.tree is not None]
        self.by_name: dict[str, list[FuncInfo | ClassInfo]] = {}
        self.uses: list[Use] = []
        self.written: dict[str, set[tuple[int, int]]] = {}  # every component argument written, per file
        self.too_deep: set[str] = set()  # files whose code is nested too deeply to walk
        self.loop_lines: dict[int, int] = {}
        self.inlined = 0
        self._returns: dict[int, tuple[Value, tuple[str, ...]]] = {}
        self._active: set[int] = set()
        self._walked: dict[tuple[int, int], Value] = {}  # (instance, method) walked once: what it returned
        self._instances: list[dict] = []
        self._defaults: dict[int, dict[str, Value]] = {}
        self._class_attrs: dict[int, dict[str, Value]] = {}
        self._bases_memo: dict[int, str | None] = {}
        self._methods_memo: dict[int, dict[str, FuncInfo]] = {}
        self._declared = {lt.declared.replace(":", "."): lt.name for lt in catalog().layers.values() if lt.declared}
        self._returning = 0  # functions whose return value is being found, one inside another
        # Calls are followed within a budget of statements walked, proportional to the sources' size: what
        # each call costs is bounded, and so is the whole (beyond it a call's value is unknown, never wrong).
        self.steps = 0
        self.budget = 10 * sum(m.unit.text.count("\n") + 1 for m in self.modules) + 20_000
        self._walked_ctx: dict[tuple[int, int], str] = {}
        self._cat = catalog()
        for m in self.modules:
            self._index(m)

    # -- the files' names ----------------------------------------------------------------
    def _index(self, m: ModuleInfo) -> None:
        """The module's imports (at its top level, and under top-level if/try: an import inside a function
        is read when the walk reaches it) and its functions and classes."""
        assert m.unit.tree is not None
        for node in _statements(m.unit.tree.body):
            _imported(m, node)
        for node in m.unit.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                m.defs[node.name] = FuncInfo(node.name, node, m)
            elif isinstance(node, ast.ClassDef):
                m.defs[node.name] = self._class(node, m)
        for name, info in m.defs.items():
            self.by_name.setdefault(name, []).append(info)

    def _class(self, node: ast.ClassDef, m: ModuleInfo) -> ClassInfo:
        info = ClassInfo(node.name, node, m, bases=list(node.bases))
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[item.name] = FuncInfo(item.name, item, m)
        return info

    def dotted(self, node: ast.expr, m: ModuleInfo) -> str | None:
        """`keras.layers.Dense` as the imports make it: the dotted name a call's function stands for."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        parts.append(m.imports.get(node.id, node.id))
        return ".".join(reversed(parts))

    def lookup(self, dotted: str, m: ModuleInfo) -> FuncInfo | ClassInfo | None:
        """The function or class of the files read that a dotted name stands for."""
        if "." not in dotted:
            own = m.defs.get(dotted)
            if own is not None:
                return own
        module, _, name = dotted.rpartition(".")
        found = self.by_name.get(name, [])
        if not found:
            return None
        if module:
            fitting = [c for c in found if c.module.dotted == module or c.module.dotted.endswith("." + module)]
            return fitting[0] if len(fitting) == 1 else None  # two modules of that name: not guessed
        return found[0] if len(found) == 1 else None

    # -- what a call is -------------------------------------------------------------------
    def keras_kind(self, dotted: str, m: ModuleInfo) -> tuple[str, str] | None:
        """('layer', Type), ('component', kind), ('get'/'deserialize', kind) or None."""
        parts = dotted.split(".")
        name = parts[-1]
        root = parts[0]
        if len(parts) == 1:
            for star in m.star:  # `from keras.layers import *`: only the names that module has
                kind = self.keras_kind(f"{star}.{name}", m)
                if kind is not None and self._catalog_knows(kind, name):
                    return kind
            return None
        keras_root = root in KERAS_ROOTS or root in ("layers", *KINDS)
        if not keras_root:
            return None
        for seg in parts[:-1]:
            if seg in KINDS:
                if name in ("get", "deserialize"):
                    return (name, KINDS[seg])
                if name[:1].isupper() or self._cat.component(KINDS[seg], name) is not None:
                    return ("component", KINDS[seg])
                return None
        if "layers" in parts[:-1] and name[:1].isupper():
            return ("layer", name)
        return None

    def _catalog_knows(self, kind: tuple[str, str], name: str) -> bool:
        if kind[0] == "layer":
            return self._cat.layer(name) is not None
        if kind[0] == "component":
            return self._cat.component(kind[1], name) is not None
        return True

    def catalog_base(self, info: ClassInfo, seen: set[int] | None = None) -> str | None:
        """The catalog layer a class of the files read derives from, if any (found once per class)."""
        if id(info) in self._bases_memo:
            return self._bases_memo[id(info)]
        seen = seen or set()
        if id(info) in seen:
            return None
        seen.add(id(info))
        found = self._catalog_base(info, seen)
        self._bases_memo[id(info)] = found
        return found

    def _catalog_base(self, info: ClassInfo, seen: set[int]) -> str | None:
        for b in info.bases:
            d = self.dotted(b, info.module)
            if d is None:
                continue
            k = self.keras_kind(d, info.module)
            if k is not None and k[0] == "layer" and self._cat.layer(k[1]) is not None:
                return k[1]
            base = self.lookup(d, info.module)
            if isinstance(base, ClassInfo):
                found = self.catalog_base(base, seen)
                if found:
                    return found
        return None

    def mro_methods(self, info: ClassInfo, seen: set[int] | None = None) -> dict[str, FuncInfo]:
        """Methods of a class and of its bases among the files read (a class's own win; found once per class)."""
        if id(info) in self._methods_memo:
            return self._methods_memo[id(info)]
        seen = seen or set()
        if id(info) in seen:
            return {}
        seen.add(id(info))
        found = self._mro_methods(info, seen)
        self._methods_memo[id(info)] = found
        return found

    def _mro_methods(self, info: ClassInfo, seen: set[int]) -> dict[str, FuncInfo]:
        out: dict[str, FuncInfo] = {}
        for b in reversed(info.bases):
            d = self.dotted(b, info.module)
            base = self.lookup(d, info.module) if d else None
            if isinstance(base, ClassInfo):
                out.update(self.mro_methods(base, seen))
        out.update(info.methods)
        return out

    # -- running -------------------------------------------------------------------------
    def run(self) -> list[Use]:
        # A module that never names a component argument has no slot of its own; its functions and classes
        # are still followed when another module calls them.
        walked = [m for m in self.modules if _COMPONENT_WORDS.search(m.unit.text) or not m.unit.text.isascii()
                  or _CODING.search("\n".join(m.unit.lines[:2]))]  # a non-ASCII or re-encoded name is walked
        for m in walked:
            self._guarded(m, self._module_body, m)
        for m in walked:
            for info in m.defs.values():
                self._guarded(m, self._standalone, info)
        return self.uses

    def _module_body(self, m: ModuleInfo) -> None:
        assert m.unit.tree is not None
        frame = Frame(m, "", m.env, ctx=(f"module:{m.dotted}",))
        self.body(frame, [s for s in m.unit.tree.body if not isinstance(s, ast.ClassDef)])

    def _standalone(self, info: FuncInfo | ClassInfo) -> None:
        """A function or class walked on its own, its parameters unknown."""
        m = info.module
        if isinstance(info, ClassInfo):
            self.instance(info, {}, (f"class:{m.dotted}.{info.name}",), (), 0, standalone=True)
        else:
            frame = Frame(m, info.name, {}, ctx=(f"def:{m.dotted}.{info.name}",))
            self.call_body(info, frame, info.param_values(frame.ctx[0], info.name, evaluated=self.defaults_of(info)))

    def _guarded(self, m: ModuleInfo, walk: Callable[[Any], None], what: Any) -> None:
        """One walk; code nested deeper than Python's stack allows (which ast may still parse) stops it:
        the file is noted (`too_deep`) and the others are walked on."""
        try:
            walk(what)
        except RecursionError:
            self._active.clear()
            self.too_deep.add(m.unit.path)

    def class_attrs(self, info: ClassInfo) -> dict[str, Value]:
        """Attributes assigned in a class body (`INIT = HeNormal()`) and its bases': made once, when the class
        is defined, and read by every instance as `self.INIT`."""
        key = id(info.node)
        if key not in self._class_attrs:
            self._class_attrs[key] = {}
            out: dict[str, Value] = {}
            for b in reversed(info.bases):
                d = self.dotted(b, info.module)
                base = self.lookup(d, info.module) if d else None
                if isinstance(base, ClassInfo):
                    out.update(self.class_attrs(base))
            frame = Frame(info.module, info.name, dict(info.module.env), ctx=(f"classbody:{info.module.dotted}."
                                                                              f"{info.name}",))
            for stmt in info.node.body:
                if isinstance(stmt, ast.Assign) and all(isinstance(t, ast.Name) for t in stmt.targets):
                    frame.hint, frame.hint_node = _target_name(stmt.targets[0]), stmt.value
                    value = frozenset(a for a in self.expr(frame, stmt.value) if isinstance(a, Obj))
                    out.update({t.id: value for t in stmt.targets if value})  # type: ignore[attr-defined]
            self._class_attrs[key] = out
        return self._class_attrs[key]

    def _spent(self) -> bool:
        """Whether following calls has used up its budget (calls, and statements walked)."""
        return self.inlined >= MAX_INLINE or self.steps >= self.budget

    def defaults_of(self, info: FuncInfo) -> dict[str, Value]:
        """The component objects among a function's default values: made once, where it is defined (a
        `def block(x, init=HeNormal())` or `init=KERNEL_INIT` default is one object for every call)."""
        key = id(info.node)
        if key not in self._defaults:
            self._defaults[key] = {}
            frame = Frame(info.module, "", dict(info.module.env), ctx=(f"defaults:{info.module.dotted}.{info.name}",))
            for name, d in info.defaults.items():
                if not isinstance(d, ast.Constant):
                    value = frozenset(a for a in self.expr(frame, d) if isinstance(a, Obj))
                    if value:
                        self._defaults[key][name] = value
        return self._defaults[key]

    def call_body(self, info: FuncInfo, frame: Frame, bound: dict[str, Value]) -> Value:
        frame.env.update(bound)
        if id(info.node) in self._active:  # recursion: not followed again
            return NOTHING
        self._active.add(id(info.node))
        try:
            self.body(frame, info.node.body)
        finally:
            self._active.discard(id(info.node))
        return frozenset(frame.returns)

    def instance(self, info: ClassInfo, bound: dict[str, Value], ctx: tuple[str, ...],
                 loops: tuple[int, ...], depth: int, standalone: bool = False) -> Value:
        """Walk one instance of a class: `__init__` with the arguments, then the methods Keras calls."""
        methods = self.mro_methods(info)
        attrs: dict[str, Value] = dict(self.class_attrs(info))  # class-level attributes: one object for all
        order: list[str] = [n for n in ("__init__", "build") if n in methods]
        order += [n for n in methods if n not in order and n not in info.self_calls and not n.startswith("__")]
        self._instances.append(attrs)  # kept alive: its id keys `_walked`
        for name in order:
            f = methods[name]
            if standalone and self._spent() and info.methods.get(name) is not f:
                continue  # an inherited method, walked with its own class already: past the budget, not again
            if (id(attrs), id(f.node)) in self._walked:
                continue  # already walked for this instance, called by a method before it
            self._walked[(id(attrs), id(f.node))] = NOTHING
            frame = Frame(f.module, info.name, {}, attrs, info, loops, ctx, depth)
            given = f.param_values(f"{ctx[0]}:{name}", f"{info.name}.{name}", skip_self=True,
                                   evaluated=self.defaults_of(f))
            if name == "__init__":
                given.update({k: v for k, v in bound.items() if k in given})
                frame.extra = {k: v for k, v in bound.items() if k not in given}
            self.call_body(f, frame, given)
        return NOTHING  # an instance of a class of ours: not a catalog layer a wrapper could copy

    # -- statements ------------------------------------------------------------------------
    def body(self, frame: Frame, stmts: Iterable[ast.stmt]) -> None:
        block = list(stmts)
        for i, s in enumerate(block):
            if isinstance(s, ast.If) and (_ends(s.body) or _ends(s.orelse)):
                # `if c: return A` then `return B`: what follows runs only where the if's ending branch did not
                rest = block[i + 1:]
                self.expr(frame, s.test)
                self.branches(frame, s, [s.body + ([] if _ends(s.body) else rest),
                                         s.orelse + ([] if _ends(s.orelse) else rest)])
                return
            self.stmt(frame, s)

    def stmt(self, frame: Frame, s: ast.stmt) -> None:
        self.steps += 1
        if isinstance(s, (ast.Assign, ast.AnnAssign)):
            self.assignment(frame, s)
        elif isinstance(s, (ast.AugAssign, ast.Expr)):
            self.expr(frame, s.value)
        elif isinstance(s, ast.Return):
            if s.value is not None:
                frame.returns.update(self.expr(frame, s.value))
        elif isinstance(s, ast.If):
            self.expr(frame, s.test)
            self.branches(frame, s, [s.body, s.orelse])
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.loop(frame, s, s.iter, s.target, s.body)
            self.body(frame, s.orelse)
        elif isinstance(s, ast.While):
            self.expr(frame, s.test)
            self.loop(frame, s, None, None, s.body)
            self.body(frame, s.orelse)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.expr(frame, item.context_expr)
            self.body(frame, s.body)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self.try_(frame, s)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            frame.env[s.name] = frozenset({CallableV(FuncInfo(s.name, s, frame.module))})
        elif isinstance(s, (ast.Import, ast.ImportFrom)):
            _imported(frame.module, s)  # an import inside a function: known from here on
        elif type(s).__name__ == "Match":
            self.branches(frame, s, [case.body for case in s.cases])  # type: ignore[attr-defined]

    def assignment(self, frame: Frame, s: ast.Assign | ast.AnnAssign) -> None:
        """`x = value` (each target gets it), `a, b = x, y` (each name its own), `x: T = value`."""
        if isinstance(s, ast.Assign) and _pairwise(s):  # a, b = HeNormal(), 1: each name its own value
            pairs = list(zip(s.targets[0].elts, s.value.elts))  # type: ignore[attr-defined]
        elif s.value is None:
            return
        else:
            pairs = [(t, s.value) for t in (s.targets if isinstance(s, ast.Assign) else [s.target])]
        values: dict[int, Value] = {}
        for t, v in pairs:
            if id(v) not in values:  # one value for all targets of `a = b = HeNormal()`
                frame.hint, frame.hint_node = _target_name(t), v
                values[id(v)] = self.expr(frame, v)
                frame.hint, frame.hint_node = "", None
            self.assign(frame, t, values[id(v)], v)

    def try_(self, frame: Frame, s: ast.stmt) -> None:
        """A handler starts from what the body left; afterwards a name holds what either left in it."""
        self.body(frame, s.body)  # type: ignore[attr-defined]
        after_body = dict(frame.env)
        for h in s.handlers:  # type: ignore[attr-defined]
            self.body(frame, h.body)
        for k, v in after_body.items():
            frame.env[k] = frame.env.get(k, NOTHING) | v
        self.body(frame, s.orelse)  # type: ignore[attr-defined]
        self.body(frame, s.finalbody)  # type: ignore[attr-defined]

    def branches(self, frame: Frame, node: ast.stmt, bodies: list[list[ast.stmt]]) -> None:
        """Walk each branch from the same names; afterwards a name holds what any branch left in it.
        Slots of two branches of one `if` never both get their object in one run (`Use.branch`)."""
        before = dict(frame.env)
        merged: dict[str, Value] = {}
        saved = frame.branch
        site = hash((id(node), frame.ctx))
        for i, b in enumerate(bodies):
            frame.env = dict(before)
            frame.branch = (*saved, (site, i))
            self.body(frame, b)
            for k, v in frame.env.items():
                merged[k] = merged.get(k, NOTHING) | v
        frame.branch = saved
        frame.env = {**before, **merged}

    def loop(self, frame: Frame, node: ast.stmt, it: ast.expr | None, target: ast.expr | None,
             body: list[ast.stmt]) -> None:
        loop_id = self._loop_id(node, frame)
        items = self.expr(frame, it) if it is not None else NOTHING
        saved = frame.loops
        frame.loops = (*saved, loop_id)
        if target is not None:  # each pass binds a new element: made anew, as far as the body can tell
            self.assign(frame, target, frozenset(_in_loop(a, frame.loops) for a in items), None)
        before = dict(frame.env)
        self.body(frame, body)
        frame.loops = saved
        for k, v in before.items():
            frame.env[k] = frame.env.get(k, NOTHING) | v

    def _loop_id(self, node: ast.AST, frame: Frame, at: ast.AST | None = None) -> int:
        loop_id = hash((id(node), frame.ctx))
        self.loop_lines[loop_id] = getattr(at or node, "lineno", 0)
        return loop_id

    def assign(self, frame: Frame, target: ast.expr, value: Value, source: ast.expr | None) -> None:
        if isinstance(target, ast.Name):
            frame.env[target.id] = value
        elif isinstance(target, ast.Attribute) and _is_self(target.value) and frame.attrs is not None:
            frame.attrs[target.attr] = value
        elif isinstance(target, (ast.Tuple, ast.List)):
            elts = source.elts if isinstance(source, (ast.Tuple, ast.List)) and source is not None else None
            for i, t in enumerate(target.elts):
                part = NOTHING
                if elts is not None and i < len(elts) and not isinstance(t, ast.Starred):
                    part = self._known(frame, elts[i])
                self.assign(frame, t.value if isinstance(t, ast.Starred) else t, part, None)

    def _known(self, frame: Frame, node: ast.expr) -> Value:
        """The value of an expression already walked (a name or attribute), without walking it again."""
        if isinstance(node, ast.Name):
            return frame.env.get(node.id, NOTHING)
        if isinstance(node, ast.Attribute) and _is_self(node.value) and frame.attrs is not None:
            return frame.attrs.get(node.attr, NOTHING)
        return NOTHING

    # -- expressions ---------------------------------------------------------------------
    def expr(self, frame: Frame, node: ast.expr | None) -> Value:
        """The value of an expression; every call in it is walked (a layer may be built anywhere)."""
        if node is None:
            return NOTHING
        handler = self._EXPRS.get(type(node))
        if handler is not None:
            return handler(self, frame, node)
        if isinstance(node, ast.Lambda):
            return frozenset({LambdaV(node)})  # its body runs at each call
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(frame, child)
        return NOTHING

    def _name(self, frame: Frame, node: ast.Name) -> Value:
        if node.id in frame.env:
            return frame.env[node.id]
        if node.id in frame.module.env:
            return frame.module.env[node.id]
        info = frame.module.defs.get(node.id)
        if info is None and node.id in frame.module.imports:
            info = self.lookup(frame.module.imports[node.id], frame.module)
        return frozenset({CallableV(info)}) if info is not None else NOTHING

    def _attribute(self, frame: Frame, node: ast.Attribute) -> Value:
        if _is_self(node.value) and frame.attrs is not None:
            return frame.attrs.get(node.attr, NOTHING)
        self.expr(frame, node.value)
        return NOTHING

    def _constant(self, frame: Frame, node: ast.Constant) -> Value:
        const = node.value
        if isinstance(const, str):
            return frozenset({StrV(const)})
        return frozenset({IntV(const)}) if isinstance(const, int) and not isinstance(const, bool) else NOTHING

    def _dict(self, frame: Frame, node: ast.Dict) -> Value:
        """A config dict: Keras makes a new object from it in every slot; only an explicit seed in it can tie them."""
        for k in node.keys:
            self.expr(frame, k)
        items = [self.expr(frame, item) for item in node.values]
        seeded = _config_seed(node)
        if seeded is not None:
            return frozenset({self._obj(frame, node, None, seeded[0], seeded[1], "config", fresh=True)})
        if all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
            return frozenset({DictV(tuple((k.value, v) for k, v in zip(node.keys, items)))})  # type: ignore[union-attr]
        return NOTHING

    def _if_exp(self, frame: Frame, node: ast.IfExp) -> Value:
        """`A if c else B`: either arm, never both (their slots never share in one run)."""
        self.expr(frame, node.test)
        saved = frame.branch
        site = hash((id(node), frame.ctx))
        frame.branch = (*saved, (site, 0))
        either = self.expr(frame, node.body)
        frame.branch = (*saved, (site, 1))
        either |= self.expr(frame, node.orelse)
        frame.branch = saved
        return either

    def _bool_op(self, frame: Frame, node: ast.BoolOp) -> Value:
        either = NOTHING
        for operand in node.values:
            either |= self.expr(frame, operand)
        return either

    def _named(self, frame: Frame, node: ast.NamedExpr) -> Value:
        named = self.expr(frame, node.value)
        frame.env[node.target.id] = named
        return named

    def comprehension(self, frame: Frame, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> Value:
        saved_loops, saved_env = frame.loops, dict(frame.env)
        for gen in node.generators:
            items = self.expr(frame, gen.iter)
            frame.loops = (*frame.loops, self._loop_id(gen, frame, node))
            self.assign(frame, gen.target, frozenset(_in_loop(a, frame.loops) for a in items), None)
            for cond in gen.ifs:
                self.expr(frame, cond)
        if isinstance(node, ast.DictComp):
            self.expr(frame, node.key)
            self.expr(frame, node.value)
        else:
            self.expr(frame, node.elt)
        frame.loops, frame.env = saved_loops, saved_env
        return NOTHING

    def _obj(self, frame: Frame, node: ast.AST, kind: str | None, class_name: str | None, seed: int | str | None,
             what: str, **kw: object) -> Obj:
        line = getattr(node, "lineno", 0)
        col = getattr(node, "col_offset", 0) + 1
        key = f"obj:{frame.module.unit.path}:{line}:{col}:{'/'.join(frame.ctx)}:{hash(frame.loops)}"
        hint = frame.hint_for(node)
        label = f"{hint} = {what}(...)" if hint else f"{what}(...) at {os.path.basename(frame.module.unit.path)}:" \
                                                      f"{_place(frame.module.unit, line)}"
        return Obj(key, kind, class_name, seed, label, frame.loops, **kw)  # type: ignore[arg-type]

    def call(self, frame: Frame, node: ast.Call) -> Value:
        d = self.dotted(node.func, frame.module)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight":
            return self.add_weight(frame, node)
        if d is None:
            if _is_super_call(node.func, "__init__") and frame.cls is not None:
                return self.super_init(frame, node)
            self.expr(frame, node.func)
            self._args(frame, node)
            return NOTHING
        k = self.keras_kind(d, frame.module)
        if k is not None:
            return self.keras_call(frame, node, k, d)
        if d.split(".")[-1] in CLONERS:
            return self.clone(frame, node)
        return self.own_call(frame, node, d)

    def own_call(self, frame: Frame, node: ast.Call, d: str) -> Value:
        """A call that is not Keras's: a function, class or method of the files read, or something unknown."""
        last = d.rsplit(".", 1)[-1]
        if d in self._declared:  # a class the project declared (settings `layers`): its declared slots
            return self.layer(frame, node, self._declared[d])
        if last in ("dict", "partial") and d in ("dict", "partial", "functools.partial"):
            return self.dict_or_partial(frame, node, last)
        if isinstance(node.func, ast.Name):
            bound = frame.env.get(node.func.id) or frame.module.env.get(node.func.id, NOTHING)
            made = self.call_bound(frame, node, bound)
            if made is not None:
                return made
        root = _root_name(node.func)  # a name imported or defined here: `self.x.build(...)` names nothing of ours
        known_root = root in frame.module.imports or root in frame.module.defs
        target = self.lookup(d, frame.module) if known_root else None
        if target is None and isinstance(node.func, ast.Name):
            local = frame.env.get(node.func.id, NOTHING)
            target = next((a.info for a in local if isinstance(a, CallableV)), None)
        if target is None and isinstance(node.func, ast.Attribute) and _is_self(node.func.value) and frame.cls:
            method = self.mro_methods(frame.cls).get(node.func.attr)
            if method is not None:
                return self.follow_method(frame, node, method)
        args = self._args(frame, node)
        if target is None:
            return NOTHING
        if isinstance(target, ClassInfo):
            return self.follow_class(frame, node, target, args)
        return self.follow(frame, node, target, args)

    def dict_or_partial(self, frame: Frame, node: ast.Call, what: str) -> Value:
        """`dict(a=x)` (keyword arguments for a later `**`), `functools.partial(layers.Dense, a=x)`."""
        pos, kw = self._args(frame, node)
        items = tuple(kw.items())
        if what == "dict":
            return frozenset({DictV(items)}) if not node.args else NOTHING
        first = self.dotted(node.args[0], frame.module) if node.args else None
        k = self.keras_kind(first, frame.module) if first else None
        if k is not None and k[0] == "layer":
            return frozenset({PartialV(k[1], items)})
        return NOTHING

    def call_bound(self, frame: Frame, node: ast.Call, bound: Value) -> Value | None:
        """A call of a name bound to a partial layer or a lambda: the layer it makes, or the lambda's body
        walked for this call (None: the name holds neither)."""
        partial = next((a for a in bound if isinstance(a, PartialV)), None)
        if partial is not None:
            pos, kw = self._args(frame, node)
            return self.layer(frame, node, partial.layer_type, (pos, {**dict(partial.items), **kw}))
        lam = next((a for a in bound if isinstance(a, LambdaV)), None)
        if lam is None or frame.depth >= MAX_DEPTH or self._spent():
            return None
        self.inlined += 1
        pos, kw = self._args(frame, node)
        params = [p.arg for p in lam.node.args.args]
        inner = Frame(frame.module, frame.scope, {**frame.env, **dict(zip(params, pos)), **kw}, frame.attrs, frame.cls,
                      frame.loops, (*frame.ctx, _site(node)), frame.depth + 1, branch=frame.branch)
        return self.expr(inner, lam.node.body)

    def _args(self, frame: Frame, node: ast.Call) -> tuple[list[Value], dict[str, Value]]:
        """Positional and keyword argument values; `**kw` of a dict the walk knows adds its items."""
        pos = [self.expr(frame, a.value if isinstance(a, ast.Starred) else a) for a in node.args]
        kw: dict[str, Value] = {}
        for k in node.keywords:
            v = self.expr(frame, k.value)
            if k.arg is not None:
                kw[k.arg] = v
            else:
                for d in v:
                    if isinstance(d, DictV):
                        for name, item in d.items:
                            kw[name] = kw.get(name, NOTHING) | item
        return pos, kw

    # -- Keras's own calls -----------------------------------------------------------------
    def keras_call(self, frame: Frame, node: ast.Call, k: tuple[str, str], dotted: str) -> Value:
        what, name = k
        if what == "layer":
            return self.layer(frame, node, name)
        pos, kw = self._args(frame, node)
        if what == "get":
            return self.get(frame, node, name, pos[0] if pos else kw.get("identifier", NOTHING))
        if what == "deserialize":
            given = pos[0] if pos else NOTHING
            seed = next((a.seed for a in given if isinstance(a, Obj)), None)
            cls = next((a.class_name for a in given if isinstance(a, Obj)), None)
            return frozenset({self._obj(frame, node, name, cls, seed, f"{name}s.deserialize")})
        comp = self._cat.component(name, dotted.split(".")[-1])
        cls_name = comp.name if comp is not None else dotted.split(".")[-1]
        if comp is not None and pos:  # RandomNormal(0.0, 0.05, 1): arguments in the class's order
            kw = {**dict(zip(comp.params, pos)), **kw}
        return frozenset({self._obj(frame, node, name, cls_name, self._seed(frame, node, kw), cls_name)})

    def get(self, frame: Frame, node: ast.Call, kind: str, given: Value) -> Value:
        """`keras.initializers.get(x)`: x itself when x is an object, else a new object made from x.

        Either way its result is one object: bound once and passed to several slots, it is shared."""
        out: set[Atom] = set()
        what = f"{kind}s.get"
        if not any(isinstance(a, (Obj, ParamV)) for a in given):  # a string, a config, or what cannot be known
            named = next((self._cat.component(kind, a.value) for a in given if isinstance(a, StrV)), None)
            return frozenset({self._obj(frame, node, kind, named.name if named else None, None, what)})
        for a in given:
            if isinstance(a, Obj) and not a.fresh and not a.maybe:
                out.add(a)
            elif isinstance(a, Obj):
                out.add(self._obj(frame, node, kind, a.class_name, a.seed, what, param=a.param))
            elif isinstance(a, ParamV):
                # a None default is most often left as it is, and get(None) is None: no object unless a caller gives one
                cls = self._cat.component(kind, a.default) if a.default else None
                out.add(self._obj(frame, node, kind, cls.name if cls else None, None, what, param=a.name,
                                  maybe=a.none_default))
        return frozenset(out)

    def _seed(self, frame: Frame, node: ast.Call, kw: dict[str, Value]) -> int | None:
        """An explicit seed written as a number (or a name bound to one); None otherwise."""
        del frame, node
        given = kw.get("seed", NOTHING)
        ints = [a.value for a in given if isinstance(a, IntV)]
        return ints[0] if len(ints) == 1 and len(given) == 1 else None

    def clone(self, frame: Frame, node: ast.Call) -> Value:
        """keras_hub's clone_initializer: a new object from an object's config; a string stays a string."""
        pos, kw = self._args(frame, node)
        given = pos[0] if pos else NOTHING
        out = set()
        for a in given:
            if isinstance(a, Obj):
                out.add(self._obj(frame, node, a.kind, a.class_name, a.seed, "clone_initializer", fresh=a.fresh,
                                  maybe=a.maybe))
            elif isinstance(a, ParamV):
                cls = self._cat.component("initializer", a.default) if a.default else None
                out.add(self._obj(frame, node, "initializer", cls.name if cls else None, None, "clone_initializer",
                                  maybe=True, param=a.name))
        return frozenset(out)

    def layer(self, frame: Frame, node: ast.Call, type_name: str,
              args: tuple[list[Value], dict[str, Value]] | None = None) -> Value:
        lt = self._cat.layer(type_name)
        hint = frame.hint_for(node)
        pos, kw = self._args(frame, node) if args is None else args
        made = LayerV(lt.name if lt else type_name)
        name = _literal_name(node)
        layer = _layer_label(frame, hint, name, made.layer_type, node)
        attention = made.layer_type in ATTENTION_TYPES
        for arg, value, at in _slot_arguments(node, lt, pos, kw):
            slot = _slot(lt, arg)
            if slot is None:
                continue
            self._written(frame, at)
            kind, role = slot
            for atom in value:
                if not isinstance(atom, (Obj, ParamV)):
                    continue
                if attention and kind == "initializer":
                    if isinstance(atom, Obj) and atom.seed is not None:  # copied by config: the seed is kept
                        for proj in PROJECTIONS:
                            made.uses.append(self.use(frame, atom, f"{layer}/{proj}", made.layer_type, arg, kind,
                                                      role, layer, at))
                    continue  # copied by config: a fresh object per projection
                made.uses.append(self.use(frame, atom, layer, made.layer_type, arg, kind, role, layer, at))
        if made.layer_type == "Bidirectional":
            self.backward(frame, node, pos, kw, layer)
        self.uses.extend(made.uses)
        return frozenset({made})

    def backward(self, frame: Frame, node: ast.Call, pos: list[Value], kw: dict[str, Value], layer: str) -> None:
        """Bidirectional's backward copy is made from the forward layer's config: explicit seeds are kept."""
        if "backward_layer" in kw:
            return
        inner = pos[0] if pos else kw.get("layer", NOTHING)
        for lv in inner:
            if not isinstance(lv, LayerV):
                continue
            for u in list(lv.uses):
                if isinstance(u.atom, Obj) and u.atom.seed is not None and u.kind == "initializer":
                    back = replace(u, layer=f"{layer}/backward_{u.layer.split('.')[-1]}", owner=layer,
                                   ctx=(*u.ctx, "backward"))
                    self.uses.append(back)

    def add_weight(self, frame: Frame, node: ast.Call) -> Value:
        pos, kw = self._args(frame, node)
        name = next((k.value.value for k in node.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)
                     and isinstance(k.value.value, str)), None)
        owner = frame.cls.name if frame.cls else frame.scope or "<module>"
        layer = f"{owner}.{name or f'weight@{node.lineno}'}"
        for kwd in node.keywords:
            kind = ADD_WEIGHT_ARGS.get(kwd.arg or "")
            if kind is None:
                continue
            self._written(frame, kwd.value)
            for atom in kw[kwd.arg or ""]:
                if isinstance(atom, (Obj, ParamV)):
                    self.uses.append(self.use(frame, atom, layer, owner, kwd.arg or "", kind, name or "weight", owner,
                                              kwd.value))
        return NOTHING

    def super_init(self, frame: Frame, node: ast.Call) -> Value:
        """`super().__init__(...)` in a class: the slots of the catalog layer it derives from."""
        assert frame.cls is not None
        base = self.catalog_base(frame.cls)
        pos, kw = self._args(frame, node)
        parent = self._parent_init(frame.cls)
        if parent is not None and frame.attrs is not None:
            owner, init = parent  # a base among the files read: its __init__, in this instance
            once = (id(frame.attrs), id(init.node))
            if once not in self._walked and not self._spent():
                self._walked[once] = NOTHING
                inner = Frame(init.module, frame.scope, {}, frame.attrs, owner, frame.loops, frame.ctx, frame.depth + 1,
                              branch=frame.branch, extra=frame.extra)
                given = init.param_values(f"{frame.ctx[0]}:super", f"{owner.name}.__init__", skip_self=True,
                                          evaluated=self.defaults_of(init))
                given.update({k: v for k, v in init.bind(pos, kw, skip_self=True).items() if k in given})
                self.call_body(init, inner, given)
            return NOTHING
        if base is None:
            return NOTHING
        lt = self._cat.layer(base)
        forwarded = any(k.arg is None for k in node.keywords)  # super().__init__(**kwargs)
        for arg, value in [*kw.items(), *(frame.extra.items() if forwarded else ())]:
            slot = _slot(lt, arg)
            if slot is None:
                continue
            for atom in value:
                if isinstance(atom, (Obj, ParamV)):
                    self.uses.append(self.use(frame, atom, frame.cls.name, base, arg, slot[0], slot[1], frame.cls.name,
                                              node))
        return NOTHING

    def _parent_init(self, cls: ClassInfo) -> tuple[ClassInfo, FuncInfo] | None:
        """The first base among the files read that defines `__init__` (what `super().__init__` runs)."""
        for b in cls.bases:
            d = self.dotted(b, cls.module)
            base = self.lookup(d, cls.module) if d else None
            if isinstance(base, ClassInfo):
                if "__init__" in base.methods:
                    return base, base.methods["__init__"]
                found = self._parent_init(base) if base is not cls else None
                if found is not None:
                    return found
        return None

    def _written(self, frame: Frame, at: ast.AST) -> None:
        self.written.setdefault(frame.module.unit.path, set()).add((getattr(at, "lineno", 0),
                                                                    getattr(at, "col_offset", 0)))

    def use(self, frame: Frame, atom: Obj | ParamV, layer: str, layer_type: str, arg: str, kind: str, role: str,
            owner: str, at: ast.AST) -> Use:
        made_in = atom.loops if isinstance(atom, Obj) else ()
        again = next((lp for lp in frame.loops if lp not in made_in), None)
        if again is None and isinstance(atom, Obj) and isinstance(atom.seed, int) and frame.loops:
            again = frame.loops[-1]  # a new object on every pass, with the same seed: the same stream
        return Use(atom, layer, layer_type, arg, kind, role, owner, frame.module.unit, getattr(at, "lineno", 0),
                   getattr(at, "col_offset", 0) + 1, frame.ctx,
                   self.loop_lines.get(again) if again is not None else None, frame.branch)

    # -- the files' own functions and classes ------------------------------------------------
    def follow_class(self, frame: Frame, node: ast.Call, target: ClassInfo,
                     args: tuple[list[Value], dict[str, Value]]) -> Value:
        """An instance of a class of the files read: walked with the caller's objects, when it is given any."""
        pos, kw = args
        init = self.mro_methods(target).get("__init__")
        base = self.catalog_base(target)
        if base is not None and init is None:  # a catalog layer under another name: its slots
            return self.layer(frame, node, base, args)
        if not _carries(args) or frame.depth >= MAX_DEPTH or self._spent():
            return NOTHING
        self.inlined += 1
        bound = init.bind(pos, kw, skip_self=True) if init else dict(kw)
        return self.instance(target, bound, (*frame.ctx, _site(node)), frame.loops, frame.depth + 1)

    def follow(self, frame: Frame, node: ast.Call, target: FuncInfo,
               args: tuple[list[Value], dict[str, Value]]) -> Value:
        """A call of a function of the files read: its return value, and (when an object goes in)
        the slots the object reaches inside it."""
        pos, kw = args
        carries = _carries(args)
        returns, ctx0 = self.returns_of(target)
        bound = target.bind(pos, kw)
        out: set = set()
        for a in self._anew(returns, f":{ctx0[0]}" if ctx0 else "\0", frame, node):
            if isinstance(a, ParamV) and a.scope == target.name:
                out |= bound.get(a.name, NOTHING)
            else:
                out.add(a)
        if (carries or self.defaults_of(target) or self._reads_globals(target)) \
                and frame.depth < MAX_DEPTH and not self._spent():
            self.inlined += 1
            inner = Frame(target.module, target.name, {}, None, None, frame.loops, (*frame.ctx, _site(node)),
                          frame.depth + 1, branch=frame.branch)
            given = target.param_values(inner.ctx[0], target.name, evaluated=self.defaults_of(target))
            given.update({k: v for k, v in bound.items() if k in given})
            self.call_body(target, inner, given)
        return frozenset(out)

    def follow_method(self, frame: Frame, node: ast.Call, method: FuncInfo) -> Value:
        """`self.m(...)` inside a class: walked in the same instance, once per instance.

        Once: a base class's `__call__` reaches `build` along several paths, and a slot in `build` is
        still one slot of the instance (a helper method that builds a layer per call is not followed twice)."""
        pos, kw = self._args(frame, node)
        once = (id(frame.attrs), id(method.node))
        if once in self._walked:  # what it returns again: an object it made is made anew by every call
            return self._anew(self._walked[once], self._walked_ctx.get(once, "\0"), frame, node)
        self._walked[once] = NOTHING
        if frame.depth >= MAX_DEPTH or self._spent():
            return NOTHING
        self.inlined += 1
        inner = Frame(method.module, frame.scope, {}, frame.attrs, frame.cls, frame.loops, (*frame.ctx, _site(node)),
                      frame.depth + 1, branch=frame.branch)
        given = method.param_values(inner.ctx[0], f"{frame.scope}.{method.name}", skip_self=True,
                                    evaluated=self.defaults_of(method))
        given.update({k: v for k, v in method.bind(pos, kw, skip_self=True).items() if k in given})
        self._walked[once] = self.call_body(method, inner, given)
        self._walked_ctx[once] = f":{'/'.join(inner.ctx)}:"
        return self._walked[once]

    def _anew(self, value: Value, made_in: str, frame: Frame, node: ast.Call) -> Value:
        """A call's return value for another call: objects made inside the callee (their key holds the
        callee's context) are new objects, made at this call."""
        return frozenset(replace(a, key=f"{a.key}@{'/'.join(frame.ctx)}:{_site(node)}:{hash(frame.loops)}",
                                 loops=frame.loops) if isinstance(a, Obj) and made_in in a.key else a
                         for a in value)

    def returns_of(self, info: FuncInfo) -> tuple[Value, tuple[str, ...]]:
        """What a function returns, walked once with its parameters unknown."""
        key = id(info.node)
        if key not in self._returns:
            self._returns[key] = (NOTHING, ())
            if self._returning >= MAX_DEPTH:  # a chain of helpers each returning the next one's value
                return self._returns.pop(key)
            self._returning += 1
            ctx = (f"ret:{info.module.dotted}.{info.name}",)
            frame = Frame(info.module, info.name, {}, ctx=ctx)
            mark = len(self.uses)
            value = self.call_body(info, frame, info.param_values(ctx[0], info.name))
            del self.uses[mark:]  # its slots are counted by its own walk and by the calls followed
            self._returning -= 1
            self._returns[key] = (value, ctx)
        return self._returns[key]

    def _reads_globals(self, info: FuncInfo) -> bool:
        """Whether a function reads a module-level name holding a component object (then every call of it
        gives that one object to its slots again)."""
        names = {n for n, v in info.module.env.items() if any(isinstance(a, Obj) for a in v)}
        if not names:
            return False
        return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(info.node))


Analyzer._EXPRS = {
    ast.Call: Analyzer.call, ast.Name: Analyzer._name, ast.Attribute: Analyzer._attribute,
    ast.Constant: Analyzer._constant, ast.Dict: Analyzer._dict, ast.IfExp: Analyzer._if_exp,
    ast.BoolOp: Analyzer._bool_op, ast.NamedExpr: Analyzer._named, ast.ListComp: Analyzer.comprehension,
    ast.SetComp: Analyzer.comprehension, ast.GeneratorExp: Analyzer.comprehension, ast.DictComp: Analyzer.comprehension,
}

_SELF_CALL = re.compile(r"\bself\s*\.\s*(\w+)\s*\(")
_COMPONENT_WORDS = re.compile(r"initializer|regularizer|constraint")
_CODING = re.compile(r"coding[:=]")


def _statements(body: Iterable[ast.AST]) -> Iterator[ast.AST]:
    """The module-level statements, and those under its if/try/with blocks (not inside functions or classes)."""
    for s in body:
        yield s
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for name in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(s, name, None)
            if isinstance(inner, list):
                yield from _statements(x for x in inner if isinstance(x, (ast.stmt, ast.excepthandler)))


def _relative(m: ModuleInfo, level: int, module: str | None) -> str:
    """`from ..x import y` in package module `a.b.c`: `a.x` (a package's `__init__` is its own package)."""
    parts = m.dotted.split(".")
    package = parts if os.path.basename(m.unit.path) == "__init__.py" else parts[:-1]
    base = package[: len(package) - (level - 1)] if level > 1 else package
    return ".".join([*base, *([module] if module else [])])


def _imported(m: ModuleInfo, node: ast.AST) -> None:
    """Note what an import statement binds (a local name -> the dotted name it stands for)."""
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.asname:
                m.imports[a.asname] = a.name
            else:
                root = a.name.split(".")[0]
                m.imports[root] = root
    elif isinstance(node, ast.ImportFrom):
        base = _relative(m, node.level, node.module) if node.level else (node.module or "")
        for a in node.names:
            if a.name == "*":
                m.star.append(base)
            else:
                m.imports[a.asname or a.name] = f"{base}.{a.name}".lstrip(".")


def _root_name(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _pairwise(s: ast.Assign) -> bool:
    """`a, b = x, y`: one target tuple and a value tuple of the same length, no starred item."""
    t, v = s.targets[0], s.value
    return (len(s.targets) == 1 and isinstance(t, (ast.Tuple, ast.List)) and isinstance(v, (ast.Tuple, ast.List))
            and len(t.elts) == len(v.elts) and not any(isinstance(e, ast.Starred) for e in (*t.elts, *v.elts)))


def _ends(block: list[ast.stmt]) -> bool:
    """Whether a block ends its enclosing block (return, raise, continue, break as its last statement)."""
    return bool(block) and isinstance(block[-1], (ast.Return, ast.Raise, ast.Continue, ast.Break))


def _carries(args: tuple[list[Value], dict[str, Value]]) -> bool:
    """Whether a call's arguments hold a component object (then the callee is walked with it)."""
    pos, kw = args
    return any(isinstance(a, Obj) for v in [*pos, *kw.values()] for a in v)


def _in_loop(a: Atom, loops: tuple[int, ...]) -> Atom:
    return replace(a, loops=loops, key=f"{a.key}#each") if isinstance(a, Obj) else a


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def _is_super_call(func: ast.expr, method: str) -> bool:
    return (isinstance(func, ast.Attribute) and func.attr == method and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "super")


def _target_name(t: ast.expr) -> str:
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(t, ast.Attribute) and _is_self(t.value):
        return t.attr
    return ""


def _literal_name(node: ast.Call) -> str | None:
    for k in node.keywords:
        if k.arg == "name" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str):
            return k.value.value
    return None


def _place(unit: PyUnit, line: int) -> str:
    """A program line as its file shows it: `12`, or `cell 3:2` in a notebook."""
    at, cell = unit.place(line)
    return f"cell {cell}:{at}" if cell is not None else str(at)


def _layer_label(frame: Frame, hint: str, name: str | None, layer_type: str, node: ast.AST) -> str:
    where = f"{_place(frame.module.unit, getattr(node, 'lineno', 0))}:{getattr(node, 'col_offset', 0) + 1}"
    own = hint or name or f"{layer_type}@{where}"
    scope = frame.cls.name if frame.cls is not None else frame.scope
    return f"{scope}.{own}" if scope else own


def _slot_arguments(node: ast.Call, lt: LayerType | None, pos: list[Value], kw: dict[str, Value]
                    ) -> Iterator[tuple[str, Value, ast.AST]]:
    """(argument, value, where it is written) for every argument of a layer construction: keywords (also
    from `**kw` and a partial's bound ones: placed at the call), and positional ones by the catalog's order."""
    written = {k.arg: k.value for k in node.keywords if k.arg is not None}
    for arg, value in kw.items():
        yield arg, value, written.get(arg, node)
    if lt is not None and pos:
        names = list(lt.params)
        for i, (value, at) in enumerate(zip(pos, node.args)):
            if isinstance(at, ast.Starred):
                break
            if i < len(names):
                yield names[i], value, at


def _slot(lt: LayerType | None, arg: str) -> tuple[str, str] | None:
    """(kind, role) of a constructor argument that takes a component."""
    if lt is not None and arg in lt.slots:
        s = lt.slots[arg]
        return s.kind, s.role
    for suffix, kind in SUFFIXES.items():
        if arg.endswith(suffix) and len(arg) > len(suffix):
            return kind, arg[: -len(suffix)]
    return None


def _config_seed(node: ast.Dict) -> tuple[str | None, int] | None:
    """A config dict with an explicit seed: ({'class_name': 'HeNormal', 'config': {'seed': 1}}) -> ('HeNormal', 1)."""
    cls, seed = None, None
    for k, v in zip(node.keys, node.values):
        if not isinstance(k, ast.Constant):
            continue
        if k.value == "class_name" and isinstance(v, ast.Constant) and isinstance(v.value, str):
            cls = v.value
        if k.value == "config" and isinstance(v, ast.Dict):
            for k2, v2 in zip(v.keys, v.values):
                if isinstance(k2, ast.Constant) and k2.value == "seed" and isinstance(v2, ast.Constant) \
                        and isinstance(v2.value, int) and not isinstance(v2.value, bool):
                    seed = v2.value
    return (cls, seed) if seed is not None else None


def _site(node: ast.AST) -> str:
    return f"{getattr(node, 'lineno', 0)}:{getattr(node, 'col_offset', 0)}"


def _dotted(path: str) -> str:
    stem = os.path.splitext(os.path.normpath(path))[0]
    parts = [p for p in stem.split(os.sep) if p not in ("", ".", "..")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def analyze(units: Sequence[PyUnit]) -> Analyzer:
    """Every use of a component object or parameter in the sources, read together (`.uses`), and every
    component argument they write (`.written`)."""
    analyzer = Analyzer(units)
    analyzer.run()
    return analyzer
