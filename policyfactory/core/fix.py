"""`validate --fix` and `--diff`: repair what has one safe answer, and leave everything else as it was written.

What is repaired comes from the findings themselves (`Finding.fix`, see `findings.Fix`): a did-you-mean that
is the one answer (a layer type, an argument or a component class name), and a denied `{shared: NAME}` group,
written as a fresh inline component in each slot (its declaration removed). Nothing here guesses from
message text.

How the file is edited: text, not a re-dumped document. The YAML parser's events give the exact span of
every node and key; a rename rewrites one scalar in its own quoting, an inline copy replaces one reference,
a removed declaration takes its own lines. Every byte outside those spans stays as it was -- comments, key
order, quoting, indentation, blank lines, line endings. Each round of edits is checked twice before it is
kept: the edited text must read back as exactly the data the fixes meant (else the edit is a bug here and
nothing is written), and the fixed file is validated again. The fixes of a file are withheld, all of them,
when that validation reports a finding the original did not: an invalid-input finding, or any finding when
the original was valid input (a policy finding or a warning appears only once a file is valid input, so for
a file that was invalid these count as revealed, not made).

Fixes go in rounds (at most `MAX_ROUNDS`): a typo fixed in one round can let the file be planned, and the
sharing it then shows is fixed in the next. A file with nothing to fix is never written.

    >>> text = "kind: model\\nlayers:\\n  - {type: LSTMM, units: 4}  # the encoder\\n"
    >>> spans = Spans(text)
    >>> s = spans.nodes[("layers", 0, "type")]
    >>> text[s.start:s.end]
    'LSTMM'
    >>> rename_edit(text, spans, Fix.rename(("layers", 0, "type"), "LSTMM", "LSTM"))
    (31, 36, 'LSTM')
"""

from __future__ import annotations

import copy
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any

import yaml

from .catalog import KINDS
from .findings import INVALID, Finding, Fix, InvalidInput
from .records import field, record
from .text import plural
from .yamlemit import flow, scalar
from .yamlload import DEFAULT_LIMITS, Limits, load_text

if TYPE_CHECKING:
    from .modelfile import ModelSpec
    from .validate import ValidationResult

MAX_ROUNDS = 4  # a typo, then the sharing it let validate see, then what is left: more rounds would find nothing new

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# -- where every node of the text is -----------------------------------------------------

@record
class Span:
    """A node's characters in the text: [start, end), how it is written, and whether an anchor or alias is involved."""

    start: int
    end: int
    kind: str  # scalar | map | seq | alias
    flow: bool = False  # a flow collection ({...}, [...])
    style: str | None = None  # a scalar's quoting: None (plain), "'", '"', "|", ">"
    shared: bool = False  # inside an anchored node, or an alias: an edit here would change other places too


class Spans:
    """The span of every node (`nodes`) and of every mapping key (`keys`, by the path of its value).

    Paths are the loader's (`yamlload.Loaded.mark`): keys and list indexes. Values merged in by `<<` have no
    span of their own here, so a fix there is not applied. Offsets are characters of the text (the parser's
    `index`), not lines: a line break YAML knows and `str.splitlines` does not cannot shift them.
    """

    def __init__(self, text: str):
        self.nodes: dict[tuple, Span] = {}
        self.keys: dict[tuple, Span] = {}
        stack: list[list] = []  # [path, is_map, pending key (None: expecting one), next index, span, shared]
        for event in yaml.parse(text, Loader=_Loader):
            self._event(stack, type(event).__name__, event)

    def _event(self, stack: list[list], kind: str, event: Any) -> None:
        start, end = event.start_mark.index, event.end_mark.index
        inherited = bool(stack) and stack[-1][5]
        if kind in ("MappingEndEvent", "SequenceEndEvent"):
            span = stack.pop()[4]
            if span.flow:
                span.end = end
            self._attach(stack, span)
        elif kind in ("MappingStartEvent", "SequenceStartEvent"):
            is_map = kind == "MappingStartEvent"
            span = Span(start, end, "map" if is_map else "seq", bool(event.flow_style),
                        shared=inherited or event.anchor is not None)
            path = self._place(stack, span)
            stack.append([path, is_map, None, 0, span, span.shared])
        elif kind in ("ScalarEvent", "AliasEvent"):
            alias = kind == "AliasEvent"
            span = Span(start, end, "alias" if alias else "scalar", style=None if alias else (event.style or None),
                        shared=alias or inherited or event.anchor is not None)
            if stack and stack[-1][1] and stack[-1][2] is None:  # a mapping's key
                key = object() if alias else event.value
                stack[-1][2] = key
                self.keys[stack[-1][0] + (key,)] = span
                return
            self._place(stack, span)
            self._attach(stack, span)

    def _place(self, stack: list[list], span: Span) -> tuple:
        """Record a value's span at its path; its parent's key is consumed, or its index counted."""
        if not stack:
            path: tuple = ()
        elif stack[-1][1]:
            path = stack[-1][0] + (stack[-1][2],)
            stack[-1][2] = None
        else:
            path = stack[-1][0] + (stack[-1][3],)
            stack[-1][3] += 1
        self.nodes[path] = span
        return path

    @staticmethod
    def _attach(stack: list[list], span: Span) -> None:
        """A block collection ends where its last value ends (its end event stands at the next token)."""
        if stack and not stack[-1][4].flow:
            stack[-1][4].end = max(stack[-1][4].end, span.end)


# -- the edits ---------------------------------------------------------------------------

Edit = tuple[int, int, str]  # replace text[start:end] with the string


def _requoted(written: str, style: str | None, old: str, new: str) -> str | None:
    """`new` written as `old` was (plain, 'single' or "double" quoted), or None when `written` is not plainly `old`."""
    if style is None and written == old:
        return new if scalar(new) == new else scalar(new)
    if style == "'" and written == "'" + old.replace("'", "''") + "'":
        return "'" + new.replace("'", "''") + "'"
    if style == '"' and written == f'"{old}"' and not re.search(r'["\\\x00-\x1f\x7f-\x9f]', old + new):
        return f'"{new}"'
    return None


def rename_edit(text: str, spans: Spans, fix: Fix) -> Edit | None:
    """The edit that writes `fix.new` where `fix.old` stands (a value, or a key), or None when it cannot be placed."""
    span = (spans.keys if fix.at_key else spans.nodes).get(fix.path)
    if span is None or span.kind != "scalar" or span.shared:
        return None
    new = _requoted(text[span.start:span.end], span.style, fix.old, fix.new)
    return None if new is None else (span.start, span.end, new)


def _line_entry(text: str, start: int, end: int) -> Edit | None:
    """Removal of a block mapping entry [start, end) with its whole lines: its key first on its line, nothing but
    a comment after its value (else None)."""
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip():
        return None
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end + 1
    rest = text[end:line_end].strip()
    if rest and not rest.startswith("#"):
        return None
    return (line_start, line_end, "")


def _flow_entry(text: str, start: int, end: int) -> Edit | None:
    """Removal of a flow mapping entry [start, end) with one comma beside it."""
    after = re.match(r"\s*,[ \t]*", text[end:])
    if after:
        return (start, end + after.end(), "")
    before = re.search(r",\s*$", text[:start])
    return (before.start(), end, "") if before else None


def _removal(text: str, spans: Spans, path: tuple) -> Edit | None:
    """The edit that removes the mapping entry whose value is at `path` (key and value)."""
    key, value, parent = spans.keys.get(path), spans.nodes.get(path), spans.nodes.get(path[:-1])
    if key is None or value is None or parent is None or parent.shared or key.kind != "scalar":
        return None
    return (_flow_entry if parent.flow else _line_entry)(text, key.start, value.end)


@record
class _Round:
    """One round's edits, and the data they must give."""

    text: str
    spans: Spans
    data: Any
    edits: dict[tuple[int, int], str] = field(default_factory=dict)
    applied: int = 0

    def add(self, edits: list[Edit]) -> bool:
        """Take a fix's edits, all or none: refused when one overlaps an edit already taken (the same edit made
        twice, as two fixes that both remove one `shared:` entry, is one edit)."""
        for s, e, new in edits:
            if (s, e) in self.edits:
                if self.edits[(s, e)] != new:
                    return False
            elif any(s < e2 and s2 < e for s2, e2 in self.edits):
                return False
        for s, e, new in edits:
            self.edits[(s, e)] = new
        return True

    def result(self) -> str:
        out, pos = [], 0
        for (s, e), new in sorted(self.edits.items()):
            out.append(self.text[pos:s])
            out.append(new)
            pos = e
        out.append(self.text[pos:])
        return "".join(out)


def _rename(rnd: _Round, fix: Fix) -> bool:
    """A rename, in the text and in the data it must read back as (both or neither)."""
    edit = rename_edit(rnd.text, rnd.spans, fix)
    parent = _at(rnd.data, fix.path[:-1])
    if edit is None or not fix.path or not _renamable(parent, fix) or not rnd.add([edit]):
        return False
    last = fix.path[-1]
    if fix.at_key:
        items = list(parent.items())
        parent.clear()
        parent.update((fix.new if k == fix.old else k, v) for k, v in items)  # in its place: key order kept
    else:
        parent[last] = fix.new
    return True


def _renamable(parent: Any, fix: Fix) -> bool:
    """Whether the data holds `fix.old` where the fix says (a key not renamed onto one the mapping has)."""
    last = fix.path[-1]
    if fix.at_key:
        return isinstance(parent, dict) and last == fix.old and fix.old in parent and fix.new not in parent
    return isinstance(parent, (dict, list)) and _has(parent, last) and parent[last] == fix.old


def _has(parent: Any, key: Any) -> bool:
    return key in parent if isinstance(parent, dict) else isinstance(key, int) and 0 <= key < len(parent)


def _at(data: Any, path: tuple) -> Any:
    for p in path:
        if not isinstance(data, (dict, list)) or not _has(data, p):
            return None
        data = data[p]
    return data


def references(spec: ModelSpec | None, name: str) -> list[tuple]:
    """The paths of every slot that takes `{shared: name}`, wrapped layers included (a Bidirectional layer's one
    reference serves both directions: one path)."""
    out = {node.path + (arg,) for node in (spec.nodes() if spec is not None else ())
           for arg, use in node.components.items() if use.shared == name}
    return sorted(out, key=repr)


def _inline(rnd: _Round, fix: Fix, refs: list[tuple], removed: set[str]) -> bool:
    """Each reference becomes its own copy of the declaration's component; the declaration goes (the `shared:`
    entry too when its last declaration goes)."""
    name = fix.old
    found = _declaration(rnd.data, name)
    if found is None or not refs or any(_at(rnd.data, ref) != {"shared": name} for ref in refs):
        return False
    shared, kind = found
    component = shared[name][kind]
    copy_text = _copy_text(rnd, ("shared", name, kind), component)
    whole = set(shared) <= removed | {name}
    edits = [_reference_edit(rnd.text, rnd.spans, ref, copy_text) for ref in refs]
    edits.append(_removal(rnd.text, rnd.spans, ("shared",) if whole else ("shared", name)))
    if any(e is None for e in edits) or not rnd.add([e for e in edits if e is not None]):
        return False
    removed.add(name)
    for ref in refs:
        _at(rnd.data, ref[:-1])[ref[-1]] = copy.deepcopy(component)
    del shared[name]
    if whole:
        del rnd.data["shared"]
    return True


def _declaration(data: Any, name: str) -> tuple[dict, str] | None:
    """(the `shared:` mapping, the kind) of the declaration `name`: one kind, nothing beside it; else None."""
    shared = data.get("shared") if isinstance(data, dict) else None
    decl = shared.get(name) if isinstance(shared, dict) else None
    if not isinstance(shared, dict) or not isinstance(decl, dict) or len(decl) != 1:
        return None
    kind = next(iter(decl))
    return (shared, kind) if kind in KINDS and decl[kind] is not None else None


def _copy_text(rnd: _Round, path: tuple, component: Any) -> str:
    """The component as the declaration wrote it, when that is one line of its own (no anchor, no alias), else
    written anew in flow style."""
    span = rnd.spans.nodes.get(path)
    if span is None or span.shared or not (span.kind == "scalar" or span.flow):
        return flow(component)
    written = rnd.text[span.start:span.end]
    return flow(component) if re.search(r"[\r\n\x85\u2028\u2029]", written) else written


def _reference_edit(text: str, spans: Spans, ref: tuple, copy_text: str) -> Edit | None:
    """`{shared: NAME}` at `ref` replaced by `copy_text`; a block reference joins its key's line when only the
    colon stands between them (a comment there stays, and the copy goes where the reference was)."""
    span, key = spans.nodes.get(ref), spans.keys.get(ref)
    if span is None or span.kind != "map" or span.shared:
        return None
    if span.flow or key is None:
        return (span.start, span.end, copy_text)
    if text[key.end:span.start].strip() == ":":
        return (key.end, span.end, ": " + copy_text)
    return (span.start, span.end, copy_text)


def _same(a: Any, b: Any) -> bool:
    """Plain data equal in value and type (1, 1.0 and true differ; NaN equals NaN; key order counts)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


class EditNotRead(Exception):
    """The edited text does not read back as the data the fixes meant: a bug of the fixer; nothing is written."""


def apply_fixes(text: str, fixes: list[Fix], result: ValidationResult, file: str,
                limits: Limits = DEFAULT_LIMITS) -> tuple[str, int]:
    """(the text with every fix that can be placed applied, how many were), checked to read back as intended."""
    loaded = load_text(text, file, limits)
    rnd = _Round(text, Spans(text), copy.deepcopy(loaded.value))
    removed: set[str] = set()
    for fix in dict.fromkeys(fixes):  # in order, each once
        if fix.kind == Fix.RENAME:
            done = _rename(rnd, fix)
        elif fix.kind == Fix.INLINE_SHARED:
            done = _inline(rnd, fix, references(result.spec, fix.old), removed)
        else:
            done = False
        rnd.applied += done
    if not rnd.applied:
        return text, 0
    out = rnd.result()
    try:
        back = load_text(out, file, limits).value
    except InvalidInput as exc:
        raise EditNotRead(exc.findings[0].message if exc.findings else "invalid YAML") from None
    if not _same(back, rnd.data):
        raise EditNotRead("the edited text reads back as other data than the fixes meant")
    return out, rnd.applied


# -- a file --------------------------------------------------------------------------------

def _key(f: Finding) -> tuple[str, str]:
    return (f.rule, f.message)


def worse(before: Iterable[Finding], after: Iterable[Finding]) -> list[Finding]:
    """The findings of `after` that `before` does not have (by rule and message: lines move when a file is fixed)
    and that the fixes made rather than revealed: invalid-input findings always; others only when `before` was
    valid input (validate judges a file's policy only once it is valid input)."""
    before = list(before)
    was_invalid = any(f.category == INVALID and f.severity == "error" for f in before)
    seen = Counter(_key(f) for f in before)
    out = []
    for f in after:
        if seen[_key(f)] > 0:
            seen[_key(f)] -= 1
        elif f.category == INVALID or not was_invalid:
            out.append(f)
    return out


@record
class Outcome:
    """What fixing one file gave: the text to write (the original when nothing is kept) and its validation."""

    text: str
    fixed: int
    result: ValidationResult
    withheld: str = ""  # why fixes that could be applied were not kept

    @property
    def changed(self) -> bool:
        return self.fixed > 0


def fix_text(text: str, result: ValidationResult, file: str, check: Callable[[str], ValidationResult],
             chosen: Callable[[list[Finding]], list[Finding]], limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """Fix `text` in rounds, validate it again with `check`, and keep the fixes only when nothing got worse.

    `result` is `text`'s validation; `chosen` gives the findings whose fixes may be applied (the project's
    `select` and `ignore`: a rule left out is not fixed); only findings located in `file` are fixed.
    """
    current_text, current, fixed = text, result, 0
    for _ in range(MAX_ROUNDS):
        fixes = [f.fix for f in chosen(current.findings) if f.fix is not None and f.file == file]
        if not fixes:
            break
        try:
            new_text, n = apply_fixes(current_text, fixes, current, file, limits)
        except EditNotRead as exc:
            return Outcome(text, 0, result, f"the edit could not be made safely ({exc})")
        if not n:
            break
        current_text, current, fixed = new_text, check(new_text), fixed + n
    if not fixed:
        return Outcome(text, 0, result)
    made = worse(result.findings, current.findings)
    if made:
        return Outcome(text, 0, result, f"validating the fixed text reports {made[0].rule}: {made[0].message} "
                                        f"(not reported now)" + (f", and {plural(len(made) - 1, 'more finding')}"
                                                                 if len(made) > 1 else ""))
    return Outcome(current_text, fixed, current)


# -- the command line's side ----------------------------------------------------------------

class Fixer:
    """`validate --fix` / `--diff` over a run's sources: each file fixed, written (or shown), and validated again.

    `check(path, data)` validates a file's bytes as `path`; `chosen` applies the project's selection. With `diff`
    nothing is written: a unified diff goes to `out`. Standard input's fixed text goes to `out` (as ruff does).
    """

    def __init__(self, check: Callable[[str, bytes | None], ValidationResult],
                 chosen: Callable[[list[Finding]], list[Finding]], *, diff: bool = False, limits: Limits = DEFAULT_LIMITS,
                 quiet: bool = False, out: IO[str] | None = None, err: IO[str] | None = None):
        import sys

        self.check, self.chosen, self.diff, self.limits, self.quiet = check, chosen, diff, limits, quiet
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.changed = 0  # files fixed (or, with --diff, that would be)
        self.stdin = False  # standard input was fixed: its text went to `out`, so the report goes to `err`

    def source(self, path: str, data: bytes | None, result: ValidationResult) -> ValidationResult:
        """Fix one file (`data`: standard input's bytes) whose validation is `result`; the validation to report."""
        from .text import escape

        stdin = data is not None
        self.stdin = self.stdin or (stdin and not self.diff)
        if not any(f.fix is not None for f in self.chosen(result.findings)):
            if data is not None and not self.diff:
                self._stdout(data)  # standard input with --fix: the text, as it came
            return result
        from .yamlload import read_input

        raw = data if data is not None else read_input(path, self.limits)  # the bytes `result` judged: they loaded
        text = raw.decode("utf-8")
        bom = "\ufeff" if text.startswith("\ufeff") else ""
        outcome = fix_text(text[len(bom):], result, escape(path),
                           lambda t: self.check(path, (bom + t).encode("utf-8")), self.chosen, self.limits)
        if outcome.withheld:
            print(f"policyfactory validate: {path}: fixes withheld: {outcome.withheld}", file=self.err)
        fixed = bom + outcome.text
        if self.diff:
            self._diff(path, text, fixed, outcome)
            return outcome.result
        if stdin:
            self._stdout(fixed.encode("utf-8"))
        elif outcome.changed:
            self._write(path, fixed)
        if outcome.changed:
            self.changed += 1
            if not self.quiet:
                print(f"fixed {plural(outcome.fixed, 'problem')} in {path}", file=self.err)
        return outcome.result

    def finish(self, report: Callable[[IO[str] | None], int]) -> int:
        """The exit code: with --diff, ruff's (1 when something would be fixed, else 0; no report); with --fix,
        `report`'s on what remains (printed to `err` when standard input's fixed text took `out`)."""
        if self.diff:
            return 1 if self.changed else 0
        return report(self.err if self.stdin else None)

    def _diff(self, path: str, text: str, fixed: str, outcome: Outcome) -> None:
        if not outcome.changed:
            return
        import difflib

        self.changed += 1
        self.out.writelines(_lines_ending(difflib.unified_diff(text.splitlines(keepends=True),
                                                                fixed.splitlines(keepends=True), path, path)))
        if not self.quiet:
            print(f"would fix {plural(outcome.fixed, 'problem')} in {path}", file=self.err)

    def _stdout(self, data: bytes) -> None:
        """Bytes on standard output as they are (not through the text layer's encoding)."""
        buffer = getattr(self.out, "buffer", None)
        if buffer is None:
            self.out.write(data.decode("utf-8", errors="replace"))
            return
        self.out.flush()
        buffer.write(data)
        buffer.flush()

    @staticmethod
    def _write(path: str, text: str) -> None:
        """Replace the file whole (a link is followed: its target is fixed, the link stays), keeping its mode."""
        import os

        from .atomic import atomic_output

        with atomic_output(os.path.realpath(path)) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)


def _lines_ending(lines: Iterable[str]) -> Iterable[str]:
    """Diff lines, each ending in a newline (a last line without one gets difflib's marker, as diff prints it)."""
    for line in lines:
        yield line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
