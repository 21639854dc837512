"""Project configuration: `[tool.policyfactory]` in the nearest `pyproject.toml`, or a `policyfactory.toml`.

Why: a team states its defaults once (which policy, which files to skip, the
output format, limits, rule severities) instead of repeating flags in every
hook and CI job. Command-line flags win over the file, the file over the
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

    >>> s = Settings.defaults()
    >>> s.values["format"], s.origins["format"]
    ('text', 'default')
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from .findings import Finding
from .references import builtin_path, policy_problem, project_root
from .rules import INVALID, RULES
from .rules.files import FILE_UNREADABLE, PATH_OUTSIDE_PROJECT
from .rules.tools import SETTINGS_INVALID
from .text import did_you_mean, shown
from .yamlload import DEFAULT_LIMITS, MAX_BYTES_CEILING, MAX_PARAMS_CEILING

DEFAULTS: dict[str, Any] = {
    "policy": None,
    "exclude": [],
    "format": "text",
    "max-bytes": DEFAULT_LIMITS.max_bytes,
    "max-params": DEFAULT_LIMITS.max_params,
    "allow-outside": False,
    "severity": {},
}
_TYPES: dict[str, Any] = {"policy": str, "exclude": list, "format": str, "max-bytes": int, "max-params": int,
                          "allow-outside": bool, "severity": dict}
FORMATS = ("text", "json", "sarif", "github")
MAX_SETTINGS_BYTES = 1 << 20
SEVERITIES = ("error", "warning", "off")


@dataclass
class Settings:
    """The settings in force and, for each, where it came from (default, file or command line)."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    file: str | None = None

    @classmethod
    def defaults(cls) -> Settings:
        return cls(dict(DEFAULTS), dict.fromkeys(DEFAULTS, "default"))

    def override(self, key: str, value: Any, origin: str = "command line") -> None:
        if value is not None:
            self.values[key] = value
            self.origins[key] = origin


_TABLE = re.compile(rb"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*[\"']?policyfactory\b", re.MULTILINE)


def find_config(start: str) -> str | None:
    """The nearest `policyfactory.toml`, or `pyproject.toml` that mentions a [tool.policyfactory] table,
    at or above `start`, stopping at the top of a git work tree (a folder holding `.git`)."""
    current = os.path.abspath(start)
    while True:
        own = os.path.join(current, "policyfactory.toml")
        if os.path.isfile(own):
            return own
        pyproject = os.path.join(current, "pyproject.toml")
        if os.path.isfile(pyproject):
            try:
                with open(pyproject, "rb") as fh:
                    if _TABLE.search(fh.read(1 << 20)):
                        return pyproject
            except OSError:
                return None
        parent = os.path.dirname(current)
        if parent == current or os.path.exists(os.path.join(current, ".git")):
            return None
        current = parent


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    import tomli  # the tomllib backport, a dependency on Python 3.10

    return tomli


def load_settings(start: str = ".", path: str | None = None, *, allow_outside: bool = False
                  ) -> tuple[Settings, list[Finding]]:
    """The settings in force for a command run in `start` (or read from `path`), and findings for a bad file.

    A `policy` path is confined like a path written in a model file: one that resolves outside the
    settings file's project is a `path-outside-project` finding, not read, unless `allow_outside`
    (`--allow-outside`) or `allow-outside = true` in the same table says so."""
    settings = Settings.defaults()
    path = path or find_config(start)
    if path is None:
        return settings, []
    if not os.path.isfile(path):
        why = "is not a regular file" if os.path.exists(path) else "does not exist"
        return settings, [Finding(path, 1, 1, FILE_UNREADABLE, f"the settings file {why}")]
    toml = _toml()
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_SETTINGS_BYTES + 1)
        if len(data) > MAX_SETTINGS_BYTES:
            return settings, [Finding(path, 1, 1, SETTINGS_INVALID, "the settings file is over 1 MiB: not read")]
        doc = toml.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return settings, [Finding(path, 1, 1, FILE_UNREADABLE, f"cannot read: {getattr(exc, 'strerror', None) or exc}")]
    except toml.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        return settings, [Finding(path, line, col, SETTINGS_INVALID, f"invalid TOML: {str(exc).split(' (at')[0]}")]
    nested = "tool" in doc and _TABLE.search(data) is not None  # pyproject.toml style, whatever the file's name
    table = doc.get("tool", {}).get("policyfactory") if nested else doc
    where = os.path.relpath(path) + (" [tool.policyfactory]" if nested else "")
    settings.file = path
    if not isinstance(table, dict):
        return settings, [Finding(path, 1, 1, SETTINGS_INVALID, f"{where} must be a table of settings")]
    allowed = allow_outside or table.get("allow-outside") is True
    return settings, _apply(settings, table, path, where, data.decode("utf-8", "replace"), allowed)


def _line_of(text: str, key: str) -> int:
    """The line where `key` is set in the TOML text (1 when it cannot be told)."""
    m = re.search(rf"^[ \t]*[\"']?{re.escape(key)}[\"']?[ \t]*[=.]", text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else 1


_WORDS = {str: "a string", list: "a list of strings", int: "a whole number", bool: "true or false",
          dict: "a table"}


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


def _apply(settings: Settings, table: dict, path: str, where: str, text: str, allowed: bool = False) -> list[Finding]:
    findings = []
    for key, value in table.items():
        line = _line_of(text, key)
        if key not in _TYPES:
            findings.append(Finding(path, line, 1, SETTINGS_INVALID,
                                    f"{where}: unknown setting {shown(key)}{did_you_mean(key, _TYPES)}"))
            continue
        kind = _TYPES[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int) \
                or (kind is list and not all(isinstance(v, str) for v in value)):
            findings.append(Finding(path, line, 1, SETTINGS_INVALID,
                                    f"{where}: {shown(key)} must be {_WORDS[kind]}, got {shown(value)}"))
            continue
        if key == "policy" and (outside := _outside(value, path, allowed)):
            rule = SETTINGS_INVALID if "\x00" in value else PATH_OUTSIDE_PROJECT
            findings.append(Finding(path, line, 1, rule, f"{where}: {outside}"))
            continue
        if key == "policy" and value and builtin_path(value) is None and not os.path.isabs(value):
            value = os.path.relpath(os.path.join(os.path.dirname(os.path.abspath(path)), value))
        if key == "exclude":  # globs with a folder in them are read from the settings file's folder
            base = os.path.dirname(os.path.abspath(path))
            value = [os.path.join(base, g) if ("/" in g and not os.path.isabs(g)) else g for g in value]
        problem = _problem(key, value)
        if problem:
            findings.append(Finding(path, line, 1, SETTINGS_INVALID, f"{where}: {problem}"))
        else:
            settings.override(key, value, where)
    return findings


def _problem(key: str, value: Any) -> str | None:
    if key == "format" and value not in FORMATS:
        return f"'format' must be one of {', '.join(FORMATS)}, got {shown(value)}"
    if key == "max-bytes" and not 1 <= value <= MAX_BYTES_CEILING:
        return f"'max-bytes' must be from 1 to {MAX_BYTES_CEILING}, got {value}"
    if key == "max-params" and not 1 <= value <= MAX_PARAMS_CEILING:
        return f"'max-params' must be from 1 to {MAX_PARAMS_CEILING}, got {value}"
    if key == "policy":
        return policy_problem(value)
    if key == "severity":
        for rule, level in value.items():
            if rule not in RULES:
                return f"severity: no rule {shown(rule)}{did_you_mean(rule, RULES)}"
            if level not in SEVERITIES:
                return f"severity of {shown(rule)} must be one of {', '.join(SEVERITIES)}, got {shown(level)}"
            if RULES[rule].category == INVALID:
                return f"severity of {shown(rule)} cannot change: an invalid input cannot be judged at all"
    return None


def apply_severity(findings: list[Finding], overrides: dict[str, str]) -> list[Finding]:
    """Findings with the project's per-rule severities: 'off' drops a rule, 'warning'/'error' changes its level."""
    if not overrides:
        return findings
    out = []
    for f in findings:
        level = overrides.get(f.rule)
        if level == "off":
            continue
        if level is not None and level != f.severity:
            f = Finding(f.file, f.line, f.column, f.rule, f.message, level, f.category, f.data, f.help)
        out.append(f)
    return out
