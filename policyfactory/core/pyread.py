"""Reading Python sources and notebooks: the parsed module, the cell of every line, inline allows.

Why: `validate` judges the Keras code people write (`.py` files and the code
cells of `.ipynb` notebooks) without running it. A source is parsed with `ast`
only: nothing is imported, executed or compiled. A notebook's code cells are
one program (a kernel runs them in one namespace), so their statements are
joined in order, each keeping its own line numbers and its cell number for the
findings; IPython lines (`%magic`, `!shell`) are blanked, since they are not
Python. `# policyfactory: allow[RULE] reason` comments are read with `tokenize`,
so the same text in a string is not a comment.

    >>> unit = read_source("m.py", b"import keras\\nx = keras.layers.Dense(2)  # policyfactory: allow[x] why\\n")
    >>> unit.findings, [(a.rule, a.reason, a.line) for a in unit.allows]
    ([], [('x', 'why', 2)])
"""

from __future__ import annotations

import ast
import bisect
import io
import json
import re
import tokenize

from .findings import Finding, InvalidInput
from .records import field, record
from .rules.limits import LIMIT_DEPTH
from .rules.python import ALLOW_COMMENT, NOTEBOOK_FORMAT, PYTHON_SYNTAX
from .yamlload import DEFAULT_LIMITS, Limits, read_input

_ALLOW = re.compile(r"#\s*policyfactory\s*:\s*(.*)$")
_ALLOW_BODY = re.compile(r"allow\s*\[\s*([^\]]*?)\s*\]\s*(.*)$")
_MAGIC = re.compile(r"^\s*[%!]")
_ASSIGNED_MAGIC = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)\s*=\s*[%!]")  # files = !ls
_HELP = re.compile(r"^\s*(\?\??[\w.]+|[\w.]+\?\??)\s*$")  # len?, ??len
_CELL_MAGIC_PYTHON = ("%%time", "%%timeit", "%%capture")  # cell magics whose body is Python


@record(frozen=True)
class InlineAllow:
    """One `# policyfactory: allow[RULE] reason` comment."""

    rule: str
    reason: str
    line: int  # in the joined program (a notebook's cells one after another)
    column: int


@record
class PyUnit:
    """One Python source or notebook, parsed: its statements, and where each of its lines came from."""

    path: str
    tree: ast.Module | None
    allows: list[InlineAllow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    cells: list[tuple[int, int]] = field(default_factory=list)  # (first program line, cell number), for a notebook
    text: str = ""  # the program's text (a notebook's code cells joined)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def place(self, line: int) -> tuple[int, int | None]:
        """(line within its cell, cell number) of a program line; (line, None) in a plain source."""
        i = bisect.bisect_right(self.cells, (line, float("inf"))) - 1
        if i < 0:
            return line, None
        first, number = self.cells[i]
        return line - first + 1, number

    def finding(self, line: int, column: int, rule: str, message: str, **kw: object) -> Finding:
        """A finding at a program line, named by its cell in a notebook."""
        at, cell = self.place(line)
        return Finding(self.path, at, column, rule, message, cell=cell, **kw)  # type: ignore[arg-type]


def read_path(path: str, limits: Limits = DEFAULT_LIMITS, data: bytes | None = None) -> PyUnit:
    """Read and parse one source (a file, or `data` shown under `path`); what cannot be judged is a finding."""
    try:
        raw = read_input(path, limits, "a Python file") if data is None else data
    except InvalidInput as exc:
        return PyUnit(path, None, findings=exc.findings)
    return read_source(path, raw, limits)


def read_source(path: str, data: bytes, limits: Limits = DEFAULT_LIMITS) -> PyUnit:
    if path.lower().endswith(".ipynb"):
        return _read_notebook(path, data, limits)
    unit = PyUnit(path, None)
    unit.tree = _parse(unit, data, 1, None)
    if unit.tree is not None:
        unit.text = data.decode("utf-8", "replace")
        if "policyfactory" in unit.text:
            unit.allows = _allows(unit, unit.text, 0)
    return unit


def _parse(unit: PyUnit, source: bytes | str, first: int, cell: int | None) -> ast.Module | None:
    """Parse one source (or one cell, whose first line is program line `first`); a failure is a finding."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        line, col = exc.lineno or 1, exc.offset or 1
        unit.findings.append(Finding(unit.path, line, max(col, 1), PYTHON_SYNTAX,
                                     f"{exc.msg} (Python cannot parse this{' cell' if cell else ' file'})", cell=cell))
        return None
    except (ValueError, UnicodeDecodeError) as exc:  # NUL bytes, an undecodable source
        unit.findings.append(Finding(unit.path, 1, 1, PYTHON_SYNTAX, f"not Python source text: {exc}", cell=cell))
        return None
    except (RecursionError, MemoryError):
        unit.findings.append(Finding(unit.path, 1, 1, LIMIT_DEPTH,
                                     "nested too deeply for Python's parser", cell=cell))
        return None
    if first != 1:
        ast.increment_lineno(tree, first - 1)
    return tree


def _read_notebook(path: str, data: bytes, limits: Limits) -> PyUnit:
    unit = PyUnit(path, None)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        unit.findings.append(Finding(path, 1, 1, NOTEBOOK_FORMAT, f"not a notebook: not JSON ({_short(exc)})"))
        return unit
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        unit.findings.append(Finding(path, 1, 1, NOTEBOOK_FORMAT, "not a notebook: no 'cells' list (nbformat 4)"))
        return unit
    body: list[ast.stmt] = []
    texts: list[str] = []
    first, number = 1, 0
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        number += 1
        source = cell.get("source", "")
        text = "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)
        text = _python_of_cell(text)
        unit.cells.append((first, number))
        tree = _parse(unit, text, first, number)
        if tree is not None:
            body.extend(tree.body)
            if "policyfactory" in text:
                unit.allows.extend(_allows(unit, text, first - 1))
        texts.append(text)
        first += text.count("\n") + 1
    unit.text = "\n".join(texts)
    unit.tree = ast.Module(body=body, type_ignores=[]) if not unit.findings else None
    return unit


def _python_of_cell(text: str) -> str:
    """A code cell's text with IPython's own lines blanked (kept as empty lines, so line numbers stay).

    A line is IPython's (`!pip ...`, `%time ...`) only where a statement may start: `!= 2` or `%s`
    inside brackets or a string continue Python, as IPython reads them.

        >>> _python_of_cell("!pip install keras\\nok = (x\\n      != 2)\\n%time f()").split("\\n")
        ['pass', 'ok = (x', '      != 2)', 'pass']
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        if not lines[first].strip().startswith(_CELL_MAGIC_PYTHON):
            return "\n" * (len(lines) - 1)  # %%bash, %%writefile ...: not Python at all
        lines[first] = ""
    continued = False
    for i, line in enumerate(lines):
        if continued:  # a shell line ended with a backslash: this one belongs to it
            continued = line.rstrip().endswith("\\")
            lines[i] = ""
            continue
        ipython = _MAGIC.match(line) or _ASSIGNED_MAGIC.match(line) or _HELP.match(line)
        if ipython and _statement_starts(lines[:i]):
            continued = line.rstrip().endswith("\\")
            indent = line[: len(line) - len(line.lstrip())]
            assigned = _ASSIGNED_MAGIC.match(line)
            lines[i] = f"{indent}{assigned.group(1)} = None" if assigned else f"{indent}pass"
    return "\n".join(lines)


def _statement_starts(before: list[str]) -> bool:
    """Whether a new statement may start after these lines (no bracket, string or backslash left open)."""
    if not before:
        return True
    try:
        for _ in tokenize.generate_tokens(io.StringIO("\n".join(before) + "\n").readline):
            pass
    except tokenize.TokenError:
        return False  # EOF in a multi-line statement or string
    except (SyntaxError, ValueError):
        return True  # an indentation problem: the parser reports it, the line is a statement start
    return True


def _allows(unit: PyUnit, text: str, offset: int) -> list[InlineAllow]:
    """The `# policyfactory: allow[RULE] reason` comments of one source; a malformed one is a finding."""
    out: list[InlineAllow] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError):
        return out
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _ALLOW.match(tok.string)
        if m is None:
            continue
        line, col = tok.start[0] + offset, tok.start[1] + 1
        body = _ALLOW_BODY.match(m.group(1))
        if body is None or not body.group(1):
            unit.findings.append(unit.finding(line, col, ALLOW_COMMENT,
                                              f"{_short(tok.string)}: write it as '# policyfactory: allow[RULE] reason'"))
        elif not body.group(2).strip():
            unit.findings.append(unit.finding(line, col, ALLOW_COMMENT,
                                              f"allow[{body.group(1)}] gives no reason: say why after the bracket"))
        else:
            out.append(InlineAllow(body.group(1), body.group(2).strip(), line, col))
    return out


def _short(value: object, most: int = 80) -> str:
    text = str(value)
    return text if len(text) <= most else text[: most - 3] + "..."
