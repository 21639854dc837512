"""Paths written inside files (`policy:`, `extends:`): resolved inside the project, read only when they are policies.

Why: a model file is data someone else may have written (a pull request). If
`policy: /etc/shadow` were read, the lines of that file would come back as
"unknown key" findings -- in CI logs. So a path written in a file resolves
(symbolic links included) inside the project that holds the referring file:
the nearest folder above it with `.git` or `pyproject.toml`, else the file's
own folder. Anything else is a finding and is not read, unless the user says
`--allow-outside`. A target inside the project that does not declare
`kind: policy` is reported as "not a policy file", without echoing any of it.

    >>> import os, tempfile
    >>> root = tempfile.mkdtemp(); open(os.path.join(root, "pyproject.toml"), "w").close()
    >>> os.makedirs(os.path.join(root, "models"))
    >>> project_root(os.path.join(root, "models")) == os.path.realpath(root)
    True
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .findings import Finding
from .rules.files import PATH_OUTSIDE_PROJECT
from .rules.policies import POLICY_UNKNOWN
from .safeio import note_dependency, read_regular
from .text import did_you_mean, shown

if TYPE_CHECKING:  # the loader imports PyYAML: a run whose results are all known never loads it
    from .limits import Limits
    from .yamlload import Loaded

BUILTIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies")
BUILTIN_POLICIES = ("strict", "recurrent", "stateless")
PYTHON_SUFFIXES = (".py", ".ipynb")  # files validate reads as Python sources (core/pyread.py), not YAML


def is_python(path: str) -> bool:
    """A Python source or notebook, by its name: `validate` reads it as code, never as YAML."""
    return path.lower().endswith(PYTHON_SUFFIXES)


PROJECT_MARKERS = (".git", "pyproject.toml")
_DECLARED = re.compile(rb"^kind:[ \t]*['\"]?(policy|model)['\"]?[ \t]*(#.*)?\r?$", re.MULTILINE)


@lru_cache(maxsize=256)
def project_root(folder: str) -> str:
    """The nearest folder at or above `folder` holding `.git` or `pyproject.toml`, else `folder` itself."""
    start = os.path.realpath(folder)
    return nearest_above(start, PROJECT_MARKERS) or start


def nearest_above(folder: str, markers: tuple[str, ...]) -> str | None:
    """The nearest folder at or above `folder` (a real path) holding one of `markers`, or None."""
    current = folder
    while True:
        if any(os.path.lexists(os.path.join(current, m)) for m in markers):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def builtin_path(ref: str) -> str | None:
    return os.path.join(BUILTIN_DIR, f"{ref}.yaml") if ref in BUILTIN_POLICIES else None


def resolve_in_project(ref: str, loaded: Loaded, key: tuple, *, allow_outside: bool = False
                       ) -> tuple[str | None, Finding | None]:
    """(path, None) for a built-in name or a path inside the referring file's project, else (None, finding)."""
    if "\x00" in ref:  # the operating system takes no such name (Python would raise ValueError)
        return None, loaded.finding(key, POLICY_UNKNOWN, f"{key[-1]}: {shown(ref)} contains a NUL character: "
                                                           f"no file has such a name")
    builtin = builtin_path(ref)
    if builtin is not None:
        return builtin, None
    note_dependency()  # the answer depends on other files: whether this one exists, where the project ends
    path = _near(os.path.join(loaded.base_dir, ref))
    if allow_outside:
        return path, None
    root = project_root(loaded.base_dir)
    real = os.path.realpath(path)
    if os.path.isabs(ref) or not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
        where = "an absolute path" if os.path.isabs(ref) else "a path that leaves the project"
        return None, loaded.finding(key, PATH_OUTSIDE_PROJECT,
                                    f"{key[-1]}: {shown(ref)} is {where} ({root}); it was not read "
                                    f"(refer to files inside the project, or pass --allow-outside)")
    return path, None


def _near(path: str) -> str:
    """A path under the working folder as the user would type it (`policies/team.yaml`), so that findings in a
    file read through a reference and read directly name it alike; any other path as it is."""
    here = os.getcwd()
    return os.path.relpath(path, here) if path.startswith(here.rstrip(os.sep) + os.sep) else path


def policy_problem(ref: str) -> str | None:
    """What is wrong with a policy the caller names (`--policy`, settings): empty, or neither built in nor a file.

        >>> policy_problem("strict") is None, policy_problem("strictt")
        (True, "no built-in policy (strict, recurrent, stateless) and no file is called 'strictt' (did you mean 'strict'?)")
    """
    if not ref:
        return "the policy name is empty"
    if builtin_path(ref) is None and not os.path.isfile(ref):
        return (f"no built-in policy ({', '.join(BUILTIN_POLICIES)}) and no file is called {shown(ref)}"
                f"{did_you_mean(ref, BUILTIN_POLICIES)}")
    return None


def declares_kind(path: str, limits: Limits) -> str | None:
    """'policy' or 'model' when the file says so at its top level (read as bytes, nothing parsed), else None."""
    try:
        m = _DECLARED.search(read_regular(path, limits.max_bytes))  # a FIFO or a device is not waited on
    except OSError:
        return None
    return m.group(1).decode() if m else None
