"""The one YAML loader every file goes through.

Why our own: PyYAML's loaders either build Python objects from tags (unsafe)
or lose line numbers, resolve YAML 1.1 surprises (`no` -> False, `1:30` -> 90,
`0777` -> 511, dates), accept duplicate keys silently and expand alias bombs
without limit. This loader reads libyaml's *parser events* (C speed) and builds
plain values itself, so that:

* only plain data comes out (dict, list, str, int, float, bool, None); any tag
  other than the YAML core ones is refused;
* plain scalars follow the YAML 1.2 core schema (`1e-4` is a float, `no` and
  `1:30` stay strings, leading-zero numbers like `0777` stay strings);
* duplicate keys are refused at the line of the duplicate;
* nesting depth, node count after alias expansion and file size are bounded,
  and an alias bomb is refused before it is expanded;
* every value keeps its 1-based line and column (`Loaded.mark(path)`).

Example::

    >>> doc = load_text("a: 1\\nb: [x, y]\\n", "f.yaml")
    >>> doc.value, doc.mark(("b", 1))
    ({'a': 1, 'b': ['x', 'y']}, (2, 8))
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, NoReturn

import yaml

from .findings import Finding, InvalidInput
from .limits import DEFAULT_LIMITS, MAX_BYTES_CEILING, MAX_PARAMS_CEILING, Limits  # noqa: F401  (its home was here)
from .records import field, record
from .rules.files import FILE_UNREADABLE
from .rules.limits import LIMIT_DEPTH, LIMIT_FILE_SIZE, LIMIT_NODES, LIMIT_NUMBER
from .rules.schemarules import SCHEMA_TYPE, SCHEMA_VALUE
from .rules.yamlrules import (
    YAML_ALIAS,
    YAML_DUPLICATE_KEY,
    YAML_EMPTY,
    YAML_ENCODING,
    YAML_KEY,
    YAML_MERGE,
    YAML_MULTIPLE_DOCUMENTS,
    YAML_SYNTAX,
    YAML_TAG,
)
from .safeio import note_read, open_regular
from .text import escape, shown

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser where installed

Path = tuple  # a tuple of str keys and int indexes

_CORE = "tag:yaml.org,2002:"
_NULL = {"~", "null", "Null", "NULL", ""}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)$")
_INT_OCT = re.compile(r"0o[0-7]+$")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)$")
_NAN = re.compile(r"\.(nan|NaN|NAN)$")


MAX_DIGITS = 40  # longer integers are refused (no argument needs them; Python refuses 4,300+ digits)


class NumberTooLong(ValueError):
    """An integer literal with more than MAX_DIGITS digits."""


def describe_scalar(value: Any) -> str:
    """'null', 'true', 'integer 5' ... for a scalar that is not a string."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return f"{type(value).__name__.replace('int', 'integer').replace('float', 'number')} {value}"


def resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema (stricter on leading zeros)."""
    if len(text) > MAX_DIGITS + 3 and (_INT.match(text) or _INT_OCT.match(text) or _INT_HEX.match(text)):
        raise NumberTooLong(text)
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        if re.match(r"[-+]?0[0-9]", text) and "." not in text and "e" not in text.lower():
            return text  # 0777: not an octal surprise, not a decimal one: a string
        return float(text)
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


@record
class Loaded:
    """A loaded file: its plain value and where each part of it stands."""

    file: str
    value: Any
    marks: dict = field(default_factory=dict)  # path -> (line, col) of the value
    key_marks: dict = field(default_factory=dict)  # path -> (line, col) of its key
    base_dir: str = "."

    def mark(self, path: Path) -> tuple[int, int]:
        """Line and column of the value at `path`, or of its nearest recorded parent."""
        path = tuple(path)
        while True:
            m = self.marks.get(path)
            if m is not None:
                return m
            if not path:
                return (1, 1)
            path = path[:-1]

    def key_mark(self, path: Path) -> tuple[int, int]:
        """Line and column of the key whose value is at `path` (the value's for list items)."""
        m = self.key_marks.get(tuple(path))
        return m if m is not None else self.mark(path)

    def finding(self, path: Path, rule: str, message: str, *, at_key: bool = False, **kw: Any) -> Finding:
        line, col = self.key_mark(path) if at_key else self.mark(path)
        return Finding(self.file, line, col, rule, message, **kw)


def _fail(file: str, line: int, col: int, rule: str, message: str) -> NoReturn:
    raise InvalidInput(Finding(file, line, col, rule, message))


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def load_file(path: str, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Read and load one file, refusing what cannot be read as one safe YAML document."""
    name = str(path)
    data = read_input(name, limits, "a YAML file")
    return load_bytes(data, name, limits, base_dir=os.path.dirname(os.path.abspath(name)))


def read_input(name: str, limits: Limits = DEFAULT_LIMITS, what: str = "a file") -> bytes:
    """The bytes of one input file (YAML, Python, notebook): a regular file under `limits.max_bytes`,
    else `InvalidInput` with the one finding that says why."""
    if not os.path.exists(name):
        _fail(name, 1, 1, FILE_UNREADABLE, "no such file")
    if os.path.isdir(name):
        _fail(name, 1, 1, FILE_UNREADABLE, f"is a directory, not {what}")
    if not os.path.isfile(name):  # a FIFO, a device, a socket: reading could block or never end
        _fail(name, 1, 1, FILE_UNREADABLE, "is not a regular file")
    try:
        size = os.path.getsize(name)
        if size > limits.max_bytes:
            _fail(name, 1, 1, LIMIT_FILE_SIZE,
                  f"file is {size} bytes, over the limit of {limits.max_bytes} bytes (raise it with --max-bytes)")
        with open_regular(name) as fh:  # refused, not waited on, if it became a FIFO since the check
            data = fh.read(limits.max_bytes + 1)
        note_read(name, data)
    except OSError as exc:
        _fail(name, 1, 1, FILE_UNREADABLE, f"cannot read: {exc.strerror or exc}")
    if len(data) > limits.max_bytes:
        _fail(name, 1, 1, LIMIT_FILE_SIZE, f"file is over the limit of {limits.max_bytes} bytes")
    return data


def load_bytes(data: bytes, name: str, limits: Limits = DEFAULT_LIMITS, base_dir: str = ".") -> Loaded:
    if len(data) > limits.max_bytes:
        _fail(name, 1, 1, LIMIT_FILE_SIZE, f"file is over the limit of {limits.max_bytes} bytes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 1 and (data[0] == 0) != (data[1] == 0)):
        _fail(name, 1, 1, YAML_ENCODING, "file is UTF-16 or UTF-32 encoded: save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        _fail(name, line, col, YAML_ENCODING, "file contains a NUL byte: not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        _fail(name, line, col, YAML_ENCODING, f"invalid UTF-8 (byte 0x{data[exc.start]:02x})")
    if text.startswith("\ufeff"):
        text = text[1:]
    return load_text(text, name, limits, base_dir=base_dir)


def load_text(text: str, name: str = "<string>", limits: Limits = DEFAULT_LIMITS, base_dir: str = ".") -> Loaded:
    """Load one YAML document from text. Raises `InvalidInput` with one finding."""
    if len(text) > limits.max_bytes:
        _fail(name, 1, 1, LIMIT_FILE_SIZE, f"text is over the limit of {limits.max_bytes} bytes")
    builder = _Builder(name, limits)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        col = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        _fail(name, line, col, YAML_SYNTAX,
              f"control character {escape(char)} (U+{ord(char):04X}) is not allowed in YAML: remove it "
              f"or write it as an escape inside double quotes")
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark) if mark is not None else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "tab" in problem or "'\\t'" in problem or _char_at(text, line, col) == "\t":
            problem = "a tab character: YAML indents with spaces only (replace the tab here with spaces)"
        _fail(name, line, col, YAML_SYNTAX, f"invalid YAML: {problem}")
    except yaml.YAMLError as exc:
        _fail(name, 1, 1, YAML_SYNTAX, f"invalid YAML: {exc}")
    except RecursionError:  # pragma: no cover - depth limit comes first
        _fail(name, 1, 1, LIMIT_DEPTH, "nesting too deep")
    except (OverflowError, ValueError) as exc:  # PyYAML's pure-Python scanner on "\UFFFFFFFF" (libyaml: a YAMLError)
        if isinstance(exc, InvalidInput):
            raise
        line, col = _escape_beyond_unicode(text)
        _fail(name, line, col, YAML_SYNTAX, "invalid YAML: an escape names no Unicode character (the last is \\U0010FFFF)")
    if not builder.documents:
        _fail(name, 1, 1, YAML_EMPTY, "empty file: expected a mapping with 'kind:'")
    return Loaded(name, builder.root, builder.marks, builder.key_marks, base_dir)


def _escape_beyond_unicode(text: str) -> tuple[int, int]:
    """Where the first `\\U` escape past U+10FFFF is (1, 1 when none is found)."""
    for m in re.finditer(r"\\U([0-9A-Fa-f]{8})", text):
        if int(m.group(1), 16) > 0x10FFFF:
            return text.count("\n", 0, m.start()) + 1, m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return 1, 1


def _char_at(text: str, line: int, col: int) -> str:
    """The character at a 1-based line and column of `text` ('' past its end)."""
    lines = text.split("\n", line)
    return lines[line - 1][col - 1:col] if len(lines) >= line else ""


class _Frame:
    __slots__ = ("value", "path", "mark", "is_map", "key", "key_mark", "merges", "explicit", "anchor", "size", "chars",
                 "merged")

    def __init__(self, value: Any, path: Path, mark: Any, is_map: bool, anchor: str | None) -> None:
        self.value = value
        self.path = path
        self.mark = mark
        self.is_map = is_map
        self.key = _NOKEY
        self.key_mark = None
        self.merges: list = []
        self.explicit: set = set()
        self.anchor = anchor
        self.size = 1
        self.chars = 0
        self.merged = False  # a '<<' key was seen


_NOKEY = object()
_MERGE = object()


_PLAIN_SCALARS = (str, int, float, bool, type(None))


def plain_copy(value: Any, name: str = "<mapping>", limits: Limits = DEFAULT_LIMITS) -> Any:
    """A copy of Python data as the loader would build it, under the same limits.

    Refuses what a YAML file could not hold: objects other than dict, list,
    tuple, str, int, float, bool and None, mappings that contain themselves,
    nesting and sizes past the limits. Iterative (no recursion).
    """
    nodes = 0
    root: list = [None]
    stack: list[tuple[Any, Any, Any, int, frozenset]] = [(value, root, 0, 0, frozenset())]
    while stack:
        v, parent, key, depth, ancestors = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            _fail(name, 1, 1, LIMIT_NODES, f"more than {limits.max_nodes} values in the mapping")
        if depth > limits.max_depth:
            _fail(name, 1, 1, LIMIT_DEPTH, f"nesting deeper than {limits.max_depth} levels")
        if isinstance(v, _PLAIN_SCALARS):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10 ** MAX_DIGITS:
                _fail(name, 1, 1, LIMIT_NUMBER, f"an integer of more than {MAX_DIGITS} digits")
            parent[key] = v
            continue
        if not isinstance(v, (dict, list, tuple)):
            _fail(name, 1, 1, SCHEMA_TYPE, f"a {type(v).__name__} object: only plain data (mappings, lists, "
                                             f"strings, numbers, booleans, null) can be checked")
        if id(v) in ancestors:
            _fail(name, 1, 1, SCHEMA_VALUE, "the mapping contains itself (a cycle): only tree-shaped data can be checked")
        inner = ancestors | {id(v)}
        if isinstance(v, dict):
            out: Any = {}
            parent[key] = out
            for k, sub in v.items():
                if not isinstance(k, str):
                    _fail(name, 1, 1, YAML_KEY, f"mapping keys must be strings, got {describe_scalar(k)}")
                stack.append((sub, out, k, depth + 1, inner))
        else:
            out = [None] * len(v)
            parent[key] = out
            stack.extend((sub, out, i, depth + 1, inner) for i, sub in enumerate(v))
    return root[0]


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class _Builder:
    """Builds plain values from parser events with an explicit stack (no recursion)."""

    def __init__(self, name: str, limits: Limits):
        self.name = name
        self.limits = limits
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, nodes, characters)
        self.open_anchors: set[str] = set()
        self.nodes = 0
        self.chars = 0
        self.documents = 0
        self.root: Any = None
        self.marks: dict = {}
        self.key_marks: dict = {}

    # -- helpers -------------------------------------------------------------
    def _count(self, n: int, mark: Any, chars: int = 0) -> None:
        """Count nodes and characters as if aliases were expanded; refuse past the limits before expanding."""
        self.nodes += n
        self.chars += chars
        if self.nodes > self.limits.max_nodes:
            line, col = _pos(mark)
            _fail(self.name, line, col, LIMIT_NODES,
                  f"more than {self.limits.max_nodes} YAML nodes after alias expansion "
                  f"(alias expansion limit; a billion-laughs file?)")
        if self.chars > self.limits.max_expanded:
            line, col = _pos(mark)
            _fail(self.name, line, col, LIMIT_NODES,
                  f"more than {self.limits.max_expanded} characters of text after alias expansion "
                  f"(alias expansion limit: aliases count by the size of what they copy)")

    def _child_path(self) -> Path:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.is_map:
            return top.path + (top.key,) if top.key is not _MERGE else top.path + ("<<",)
        return top.path + (len(top.value),)

    def _check_tag(self, tag: str | None, mark: Any, expect: str | None) -> str | None:
        """Return the core type a tag asks for, refusing every non-core tag."""
        if tag is None or tag == "!":
            return None
        if tag.startswith(_CORE):
            kind = tag[len(_CORE):]
            allowed = {"str", "int", "float", "bool", "null"} if expect == "scalar" else {expect}
            if kind in allowed:
                return kind
        line, col = _pos(mark)
        _fail(self.name, line, col, YAML_TAG,
              f"tag {shown(tag)} is not allowed: only plain YAML data is read (no Python objects, no custom tags)")

    def _scalar_value(self, event: Any) -> Any:
        kind = self._check_tag(event.tag, event.start_mark, "scalar")
        text = event.value
        if kind == "str" or (kind is None and event.style):
            return text
        try:
            value = resolve_plain(text)
        except NumberTooLong:
            line, col = _pos(event.start_mark)
            _fail(self.name, line, col, LIMIT_NUMBER,
                  f"integer of {len(text)} characters: more than {MAX_DIGITS} digits is not a size, rate or seed")
        if kind is None:
            return value
        ok = {
            "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
            "bool": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
        }[kind](value)
        if not ok:
            line, col = _pos(event.start_mark)
            _fail(self.name, line, col, YAML_TAG, f"{shown(text)} is not a valid !!{kind}")
        return float(value) if kind == "float" else value

    def _attach(self, value: Any, mark: Any, size: int, chars: int = 0) -> None:
        """Put a finished node into its parent (or make it the root)."""
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.chars += chars
        if not top.is_map:
            top.value.append(value)
            return
        if top.key is _NOKEY:
            self._set_key(top, value, mark)
            return
        if top.key is _MERGE:
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(s, dict) for s in sources):
                line, col = _pos(mark)
                _fail(self.name, line, col, YAML_MERGE, "'<<' merge needs a mapping or a list of mappings")
            top.merges.extend(sources)
        else:
            top.value[top.key] = value
        top.key = _NOKEY

    def _set_key(self, top: _Frame, key: Any, mark: Any) -> None:
        line, col = _pos(mark)
        if isinstance(key, (dict, list)):
            _fail(self.name, line, col, YAML_KEY, "mapping keys must be plain scalars")
        if not isinstance(key, str):
            _fail(self.name, line, col, YAML_KEY,
                  f"mapping keys must be strings, got {describe_scalar(key)} (quote it to make it a string)")
        if key == "<<" and key not in top.explicit:
            if top.merged:
                _fail(self.name, line, col, YAML_DUPLICATE_KEY,
                      "a second '<<' merge key in one mapping: list the mappings in one '<<: [*a, *b]'")
            top.merged = True
            top.key = _MERGE
            return
        if key in top.explicit:
            first = self.key_marks.get(top.path + (key,))
            where = f" (first at line {first[0]})" if first else ""
            _fail(self.name, line, col, YAML_DUPLICATE_KEY, f"duplicate key {shown(key)}{where}")
        top.explicit.add(key)
        top.key = key
        self.key_marks[top.path + (key,)] = (line, col)

    # -- events --------------------------------------------------------------
    def feed(self, event: Any) -> None:
        handler = self._HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    def _document_start(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            line, col = _pos(event.start_mark)
            _fail(self.name, line, col, YAML_MULTIPLE_DOCUMENTS, "several YAML documents in one file: expected exactly one")

    def _is_key(self) -> bool:
        return bool(self.stack) and self.stack[-1].is_map and self.stack[-1].key is _NOKEY

    def _alias(self, event: Any) -> None:
        mark = event.start_mark
        if event.anchor in self.open_anchors:
            line, col = _pos(mark)
            _fail(self.name, line, col, YAML_ALIAS, f"alias *{event.anchor} refers to a node that contains it")
        if event.anchor not in self.anchors:
            line, col = _pos(mark)
            _fail(self.name, line, col, YAML_ALIAS, f"unknown alias *{event.anchor}")
        value, size, chars = self.anchors[event.anchor]
        self._count(size, mark, chars)
        if not self._is_key():
            self.marks[self._child_path()] = _pos(mark)
        self._attach(_copy(value), mark, size, chars)

    def _scalar(self, event: Any) -> None:
        mark = event.start_mark
        chars = len(event.value)
        self._count(1, mark, chars)
        value = self._scalar_value(event)
        if not self._is_key():
            self.marks[self._child_path()] = _pos(mark)
        if event.anchor:
            self.anchors[event.anchor] = (value, 1, chars)
        self._attach(value, mark, 1, chars)

    def _collection_start(self, event: Any) -> None:
        mark = event.start_mark
        is_map = isinstance(event, yaml.MappingStartEvent)
        self._check_tag(event.tag, mark, "map" if is_map else "seq")
        self._count(1, mark)
        if self._is_key():
            line, col = _pos(mark)
            _fail(self.name, line, col, YAML_KEY, "mapping keys must be plain scalars")
        if len(self.stack) >= self.limits.max_depth:
            line, col = _pos(mark)
            _fail(self.name, line, col, LIMIT_DEPTH, f"nesting deeper than {self.limits.max_depth} levels")
        path = self._child_path()
        self.marks[path] = _pos(mark)
        if event.anchor:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame({} if is_map else [], path, mark, is_map, event.anchor))

    def _collection_end(self, event: Any) -> None:
        frame = self.stack.pop()
        value = frame.value
        if frame.is_map and frame.merges:
            merged: dict = {}
            for source in frame.merges:
                for k, v in source.items():
                    merged.setdefault(k, v)
            merged.update(value)
            value = merged
        if frame.anchor:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (value, frame.size, frame.chars)
        self._attach(value, frame.mark, frame.size, frame.chars)

    _HANDLERS = {
        yaml.DocumentStartEvent: _document_start,
        yaml.AliasEvent: _alias,
        yaml.ScalarEvent: _scalar,
        yaml.MappingStartEvent: _collection_start,
        yaml.SequenceStartEvent: _collection_start,
        yaml.MappingEndEvent: _collection_end,
        yaml.SequenceEndEvent: _collection_end,
    }
