"""Project configuration: `[tool.policyfactory]` in `pyproject.toml` files, and `policyfactory.toml` files.

Why: a team states its defaults once (which policy, which files to skip, the
output format, limits, rule severities) instead of repeating flags in every
hook and CI job. Command-line flags win over the files, the files over the
built-in defaults; `policyfactory config` prints the effective settings and
where each came from.

    [tool.policyfactory]
    policy = "policies/team.yaml"      # judge models by this policy (a built-in name, or a path from this file)
    exclude = ["experiments/*"]       # globs, for folders walked by every command
    format = "text"                    # text | json | sarif | github
    max-bytes = 5242880
    max-params = 1000000000
    allow-outside = false
    [tool.policyfactory.severity]      # per rule: error | warning | off (policy and warning rules only)
    unused-allow = "error"
    [tool.policyfactory.per-file-ignores]  # per glob: rules or categories not reported there (as ruff's)
    "legacy/*" = ["sharing-violation"]

Every setting is defined once, by `filemodels.SettingsFile`: its TOML name,
type, default, bounds, help and flag. A run reads that definition from the
core schema derived from it (`coreschema.json`), so no Pydantic model is built:
`fields()` gives the CLI its flags, `load_settings` validates a file with
`pydantic_core` alone and words each error as a located `settings-invalid`.

Discovery: every settings file from the current folder up to the top of the git
work tree is read (in a folder, `policyfactory.toml` before `pyproject.toml`)
and merged field by field, the nearest file winning (`severity` rule by rule):
a `policyfactory.toml` that sets only `format` keeps the `policy` a
`pyproject.toml` above it pins. `--config FILE` reads that file alone.

    >>> s = Settings.defaults()
    >>> s.values["format"], s.origins["format"]
    ('text', 'default')
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
import sys
from functools import cache
from typing import Any

from . import coreschema
from .findings import Finding
from .records import field, record, replace
from .references import builtin_path, policy_problem, project_root
from .rules import INVALID, RULES
from .rules.files import FILE_UNREADABLE, PATH_OUTSIDE_PROJECT
from .rules.tools import SETTINGS_INVALID
from .text import did_you_mean, shown

MAX_SETTINGS_BYTES = 1 << 20
_WORDS = {"str": "a string", "list": "a list of strings", "int": "a whole number", "bool": "true or false",
          "dict": "a table", "literal": "a string"}


@record(frozen=True)
class Setting:
    """One setting, as `filemodels.SettingsFile` defines it: TOML name, default, help, value schema, flag."""

    name: str
    default: Any
    help: str
    kind: dict  # the value's core schema (defaults and null unwrapped)
    cli: dict | None  # {"commands", "metavar", "action", "choices"}; None: no flag

    @property
    def dest(self) -> str:
        """The attribute argparse gives its flag (`--max-bytes` -> `max_bytes`)."""
        return self.name.replace("-", "_")

    def flag_in(self, command: str) -> bool:
        return self.cli is not None and command in self.cli["commands"]

    def choices(self, command: str) -> list | None:
        """The values `command` accepts (explain and graph print text or json only), or None: any."""
        per_command = (self.cli or {}).get("choices", {})
        return per_command.get(command) or self.kind.get("expected")

    @property
    def word(self) -> str:
        return _WORDS.get(self.kind["type"], "a value")


@cache
def fields() -> tuple[Setting, ...]:
    """Every setting, in the model's order."""
    schema = coreschema.schema("SettingsFile")
    out = []
    for key in schema["metadata"]["order"]:
        f = schema["fields"][key]
        kind = f["schema"]
        default = kind.get("default")
        while kind["type"] in ("default", "nullable"):
            kind = kind["schema"]
        meta = f.get("metadata", {})
        out.append(Setting(f.get("validation_alias", key), default, meta.get("help", ""), kind, meta.get("cli")))
    return tuple(out)


@record
class Settings:
    """The settings in force and, for each, where it came from (default, a file or the command line)."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    file: str | None = None  # the nearest settings file read
    files: list[str] = field(default_factory=list)  # every settings file read, nearest first
    layer_files: dict[str, str] = field(default_factory=dict)  # declared layer -> the settings file declaring it

    @classmethod
    def defaults(cls) -> Settings:
        return cls({s.name: copy.deepcopy(s.default) for s in fields()}, {s.name: "default" for s in fields()})

    def override(self, key: str, value: Any, origin: str = "command line") -> None:
        if value is not None:
            self.values[key] = value
            self.origins[key] = origin


_TABLE = re.compile(rb"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*[\"']?policyfactory\b", re.MULTILINE)


def find_configs(start: str) -> list[str]:
    """Every `policyfactory.toml`, and `pyproject.toml` that mentions a [tool.policyfactory] table, at or above
    `start`, nearest first (in one folder `policyfactory.toml` first), up to the top of a git work tree (a folder
    holding `.git`)."""
    found = []
    current = os.path.abspath(start)
    while True:
        own = os.path.join(current, "policyfactory.toml")
        if os.path.isfile(own):
            found.append(own)
        pyproject = os.path.join(current, "pyproject.toml")
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as fh:
                    if _TABLE.search(fh.read(1 << 20)):
                        found.append(pyproject)
            except OSError:
                return found
        parent = os.path.dirname(current)
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            return found
        current = parent


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    import tomli  # the tomllib backport, a dependency on Python 3.10

    return tomli


def load_settings(start: str = ".", path: str | None = None, *, allow_outside: bool = False
                  ) -> tuple[Settings, list[Finding]]:
    """The settings in force for a command run in `start` (or read from `path` alone), and findings for bad files.

    The settings files found are merged field by field, the nearest winning (`find_configs`). A `policy`
    path is confined like a path written in a model file: one that resolves outside the settings file's
    project is a `path-outside-project` finding, not read, unless `allow_outside` (`--allow-outside`) or
    `allow-outside = true` in the same table says so."""
    settings = Settings.defaults()
    paths = [path] if path else find_configs(start)
    findings: list[Finding] = []
    for one in reversed(paths):  # the farthest first: a nearer file overrides it field by field
        findings += _load_file(settings, one, allow_outside)
    settings.files = [p for p in paths if os.path.isfile(p)]
    settings.file = settings.files[0] if settings.files else None
    return settings, findings


def _load_file(settings: Settings, path: str, allow_outside: bool) -> list[Finding]:
    """Merge one settings file into `settings`; findings for what cannot be used."""
    if not os.path.isfile(path):
        why = "is not a regular file" if os.path.exists(path) else "does not exist"
        return [Finding(path, 1, 1, FILE_UNREADABLE, f"the settings file {why}")]
    toml = _toml()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SETTINGS_BYTES + 1)
        if len(data) > MAX_SETTINGS_BYTES:
            return [Finding(path, 1, 1, SETTINGS_INVALID, "the settings file is over 1 MiB: not read")]
        doc = toml.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [Finding(path, 1, 1, FILE_UNREADABLE, f"cannot read: {getattr(exc, 'strerror', None) or exc}")]
    except toml.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return [Finding(path, line, col, SETTINGS_INVALID, f"invalid TOML: {str(exc).split(' (at')[0]}")]
    nested = "tool" in doc and _TABLE.search(data) is not None  # pyproject.toml style, whatever the file's name
    table = doc.get("tool", {}).get("policyfactory") if nested else doc
    where = os.path.relpath(path) + (" [tool.policyfactory]" if nested else "")
    if not isinstance(table, dict):
        return [Finding(path, 1, 1, SETTINGS_INVALID, f"{where} must be a table of settings")]
    allowed = allow_outside or table.get("allow-outside") is True
    return _apply(settings, table, path, where, data.decode("utf-8", "replace"), allowed)


def _line_of(text: str, key: str, default: int = 1) -> int:
    """The line where `key` is set in the TOML text (`default` when it cannot be told)."""
    m = re.search(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*[=.]|^[ \t]*\[[^\]\n]*\b{re.escape(key)}[ \t]*\]", text,
                  re.MULTILINE)  # `key = ...`, `key.x = ...`, or a table header `[tool.policyfactory.key]`
    return text.count("\n", 0, m.start()) + 1 if m else default


def _outside(value: str, path: str, allowed: bool) -> str | None:
    """Why a settings file's `policy` path may not be read: a NUL, or it leaves the file's project."""
    if "\x00" in value:
        return f"'policy' {shown(value)} contains a NUL character: no file has such a name"
    if allowed or builtin_path(value) is not None:
        return None
    root = project_root(os.path.dirname(os.path.abspath(path)))
    real = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(path)), value))
    if real == root or real.startswith(root.rstrip(os.sep) + os.sep):
        return None
    where = "an absolute path outside" if os.path.isabs(value) else "a path that leaves"
    return (f"'policy' {shown(value)} is {where} the project ({root}); it was not read (name a policy inside the project, "
            f"or pass --allow-outside)")


def _schema_errors(table: dict) -> dict[str, list[dict]]:
    """The table checked against `SettingsFile`'s core schema: its errors by setting name ({} when it is valid)."""
    if coreschema.accepted("SettingsFile", table) is not None:
        return {}
    from pydantic_core import ValidationError

    try:
        coreschema.validate("SettingsFile", table)
    except ValidationError as exc:
        errors: dict[str, list[dict]] = {}
        for error in exc.errors(include_url=False):
            errors.setdefault(str(error["loc"][0]), []).append(dict(error))
        return errors
    return {}


def _apply(settings: Settings, table: dict, path: str, where: str, text: str, allowed: bool = False) -> list[Finding]:
    findings = []
    known = {s.name: s for s in fields()}
    errors = _schema_errors(table)
    for key, value in table.items():
        line = _line_of(text, key)
        setting = known.get(key)
        if setting is None:
            findings.append(Finding(path, line, 1, SETTINGS_INVALID,
                                    f"{where}: unknown setting {shown(key)}{did_you_mean(key, known)}"))
            continue
        value, rule, problem = _checked(setting, value, errors.get(key, []), path, allowed)
        if problem:
            if key == "per-file-ignores":  # at the entry in error, not at the table's header
                line = next((_line_of(text, g, line) for g in table[key] if problem.startswith(f"{key} {shown(g)}:")),
                            line)
            findings.append(Finding(path, line, 1, rule, f"{where}: {problem}"))
        else:
            _merge(settings, key, value, where, path)
    return findings


def _checked(setting: Setting, value: Any, wrong: list[dict], path: str, allowed: bool) -> tuple[Any, str, str | None]:
    """One setting's value as written in the file at `path`: (the value, its paths read from that file's folder;
    the rule of its problem; the problem, or None)."""
    key = setting.name
    problem: str | None
    if key == "severity" and all(len(e["loc"]) == 2 for e in wrong):  # a table whose levels may be wrong
        problem = _severity_problem(value, {e["loc"][1] for e in wrong})
    elif key == "layers":
        problem = _layers_problem(value, wrong)
    elif key == "per-file-ignores" and not wrong:
        problem = next((f"per-file-ignores {shown(glob)}: {p}" for glob, names in value.items()
                        if (p := selection_problem(names))), None)
        value = _anchored(key, value, path)
    elif wrong:
        problem = _wrong(setting, value, wrong[0])
    elif key == "policy" and (outside := _outside(value, path, allowed)):
        return value, SETTINGS_INVALID if "\x00" in value else PATH_OUTSIDE_PROJECT, outside
    else:
        value = _anchored(key, value, path)
        problem = policy_problem(value) if key == "policy" else \
            selection_problem(value) if key in ("select", "extend-select", "ignore") else None
    return value, SETTINGS_INVALID, problem


def _merge(settings: Settings, key: str, value: Any, where: str, path: str) -> None:
    """A valid setting from the file at `path` over what is in force: tables merged entry by entry (a nearer file
    changes one entry), any other value replaced."""
    if key not in ("severity", "layers", "per-file-ignores"):
        settings.override(key, value, where)
        return
    if key == "layers":  # a declared module is imported from its settings file's folder
        settings.layer_files.update(dict.fromkeys(value, os.path.abspath(path)))
    merged = {**settings.values[key], **value}
    origin = where if settings.origins[key] == "default" or set(merged) == set(value) \
        else f"{where}; {settings.origins[key]}"
    settings.override(key, merged, origin)


def _anchored(key: str, value: Any, path: str) -> Any:
    """A path or glob written in a settings file, read from that file's folder."""
    base = os.path.dirname(os.path.abspath(path))
    if key == "policy" and value and builtin_path(value) is None and not os.path.isabs(value):
        return os.path.relpath(os.path.join(base, value))
    if key == "exclude":  # globs with a folder in them are read from the settings file's folder
        return [os.path.join(base, g) if ("/" in g and not os.path.isabs(g)) else g for g in value]
    if key == "per-file-ignores":
        return {(os.path.join(base, g) if ("/" in g and not os.path.isabs(g)) else g): names for g, names in value.items()}
    return value


def _wrong(setting: Setting, value: Any, error: dict) -> str:
    """A schema error of one setting, worded for a person editing TOML."""
    name, kind = shown(setting.name), setting.kind
    if error["type"] in ("greater_than_equal", "less_than_equal"):
        return f"{name} must be from {kind['ge']} to {kind['le']}, got {value}"
    if error["type"] == "literal_error" and isinstance(value, str):
        return f"{name} must be one of {', '.join(kind['expected'])}, got {shown(value)}"
    return f"{name} must be {setting.word}, got {shown(value)}"


def _layers_problem(value: Any, wrong: list[dict]) -> str | None:
    """What is wrong with a `layers` table of declared classes: a field, or a name Keras already has."""
    from .catalog import shipped_catalog

    if wrong:
        e = wrong[0]
        where = ".".join(str(part) for part in e["loc"])
        return f"{where}: {e['msg'][0].lower() + e['msg'][1:]}"
    cat = shipped_catalog()
    for name in value:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            return f"layers: {shown(name)} is not a class name"
        if cat.layer(name) is not None or name in cat.excluded_layers:
            return (f"layers: {shown(name)} is a Keras layer: a declared class cannot shadow a built-in "
                    f"(give the class another name)")
    return None


def _severity_problem(value: dict, bad_levels: set) -> str | None:
    levels = next(s for s in fields() if s.name == "severity").kind["values_schema"]["expected"]
    for rule, level in value.items():
        if rule not in RULES:
            return f"severity: no rule {shown(rule)}{did_you_mean(rule, RULES)}"
        if rule in bad_levels:
            return f"severity of {shown(rule)} must be one of {', '.join(levels)}, got {shown(level)}"
        if RULES[rule].category == INVALID:
            return f"severity of {shown(rule)} cannot change: an invalid input cannot be judged at all"
    return None


def selection_problem(names: list[str]) -> str | None:
    """What is wrong with `select`/`ignore` names: each is a rule id or a category."""
    for name in names:
        if name not in RULES and name not in ("invalid", "policy", "warning"):
            return f"no rule or category {shown(name)}{did_you_mean(name, [*RULES, 'invalid', 'policy', 'warning'])}"
    return None


def apply_selection(findings: list[Finding], select: list[str], extend: list[str], ignore: list[str]) -> list[Finding]:
    """`select` keeps only the named rules and categories, `ignore` drops them (ruff's semantics); a finding of
    invalid input is always kept: what cannot be read cannot be judged.

        >>> f = [Finding("m.yaml", 1, 1, "sharing-violation", "x"), Finding("m.yaml", 2, 1, "unused-allow", "y")]
        >>> [x.rule for x in apply_selection(f, ["policy"], [], [])], [x.rule for x in apply_selection(f, [], [], ["warning"])]
        (['sharing-violation'], ['sharing-violation'])
    """
    def named(f: Finding, names: list[str]) -> bool:
        return f.rule in names or f.category in names

    out = []
    for f in findings:
        if f.category != INVALID and ((select and not named(f, select + extend)) or named(f, ignore)):
            continue
        out.append(f)
    return out


def apply_per_file_ignores(findings: list[Finding], table: dict[str, list[str]]) -> list[Finding]:
    """`per-file-ignores` (ruff's semantics): a finding is dropped where a glob matching its file names its rule or
    category; a glob with a `/` was anchored at its settings file's folder, one without matches the file name.
    Invalid input is always kept.

        >>> f = [Finding("legacy/m.yaml", 1, 1, "sharing-violation", "x"), Finding("m.yaml", 2, 1, "sharing-violation", "y")]
        >>> [x.file for x in apply_per_file_ignores(f, {os.path.abspath("legacy") + "/*": ["policy"]})]
        ['m.yaml']
    """
    if not table:
        return findings
    out = []
    for f in findings:
        path, name = os.path.abspath(f.file), os.path.basename(f.file)
        names = [n for glob, ns in table.items() if fnmatch.fnmatchcase(path if "/" in glob else name, glob) for n in ns]
        if f.category == INVALID or not (f.rule in names or f.category in names):
            out.append(f)
    return out


def apply_severity(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    """Findings with the project's per-rule severities: 'off' drops a rule, 'warning'/'error' changes its level.
    A rule that is off by default (`Rule.enabled`) is dropped unless the project gives it a level."""
    out = []
    for f in findings:
        level = overrides.get(f.rule)
        if level == "off" or (level is None and not RULES[f.rule].enabled):
            continue
        if level is not None and level != f.severity:
            f = replace(f, severity=level)
        out.append(f)
    return out


# -- declared layer classes, written by `policyfactory declare --write` ---------------------------------

def toml_value(value: Any) -> str:
    """A setting's value as TOML text (`config` prints settings so; `declare` writes declarations so).

        >>> toml_value({"a b": [1, 2.5, True], "c": "x"})
        '{"a b" = [1, 2.5, true], c = "x"}'
    """
    if isinstance(value, dict):
        return _inline(value)
    return _toml_scalar(value)


def _toml_scalar(value: Any) -> str:
    if isinstance(value, dict):
        return _inline(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_scalar(v) for v in value) + "]"
    return json.dumps(str(value))  # a TOML basic string is a JSON string


def _inline(table: dict) -> str:
    return "{" + ", ".join(f"{_key(k)} = {_toml_scalar(v)}" for k, v in table.items()) + "}"


def _key(key: str) -> str:
    """A TOML key: bare when it can be, quoted otherwise."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def declaration_toml(entries: dict[str, dict], nested: bool) -> str:
    """Declarations as TOML tables (`[tool.policyfactory.layers.NAME]` in a pyproject.toml, `[layers.NAME]`
    in a policyfactory.toml); `load_settings` reads them back as they were.

        >>> print(declaration_toml({"Scale": {"module": "m", "class": "Scale", "params": {"units": {"required": True}},
        ...       "slots": {"kernel_initializer": {"kind": "initializer", "role": "kernel"}}}}, nested=False))
        [layers.Scale]
        module = "m"
        class = "Scale"
        <BLANKLINE>
        [layers.Scale.params]
        units = {required = true}
        <BLANKLINE>
        [layers.Scale.slots]
        kernel_initializer = {kind = "initializer", role = "kernel"}
        <BLANKLINE>
    """
    prefix = "tool.policyfactory.layers" if nested else "layers"
    out = []
    for name, decl in entries.items():
        out += [f"[{prefix}.{name}]", f"module = {_toml_scalar(decl['module'])}", f"class = {_toml_scalar(decl['class'])}", ""]
        for part in ("params", "slots"):
            if decl.get(part):
                out.append(f"[{prefix}.{name}.{part}]")
                out += [f"{k} = {_inline(v)}" for k, v in decl[part].items()]
                out.append("")
    return "\n".join(out)


def write_declarations(path: str, entries: dict[str, dict]) -> None:
    """Put declarations into a settings file: a table of the same class is replaced, the rest of the file kept.
    The new text is checked as TOML before it replaces the file (written beside it, then renamed)."""
    nested = os.path.basename(path) == "pyproject.toml"
    prefix = "tool.policyfactory.layers" if nested else "layers"
    try:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
    except FileNotFoundError:
        lines = []
    kept: list[str] = []
    dropping = False
    for line in lines:
        header = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
        if header:
            key = header.group(1).replace(" ", "")
            dropping = any(key == f"{prefix}.{n}" or key.startswith(f"{prefix}.{n}.") for n in entries)
        if not dropping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    text = "\n".join(kept) + ("\n\n" if kept else "") + declaration_toml(entries, nested)
    _toml().loads(text)  # never write a file the next command cannot read
    from .atomic import atomic_output  # the one atomic writer: permissions kept, a failure leaves the file as it was

    with atomic_output(path, suffix=".toml") as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
