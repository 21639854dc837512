"""Which files a command reads: paths, folders walked like a linter, and standard input.

Why: users run `policyfactory validate models/` or feed a file through a pipe,
as they do with ruff and yamllint. A folder is walked recursively for
`*.yaml`/`*.yml` files that declare `kind: policy` or `kind: model` (others
are skipped); hidden folders and, inside a git work tree, git-ignored files
are skipped; `--exclude` globs drop more from a walk (a file named on the command
line is always read). `-` is standard input, named in
findings by `--stdin-filename` (which also anchors its relative `policy:`).

    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); os.makedirs(os.path.join(d, ".hidden"))
    >>> _ = open(os.path.join(d, "m.yaml"), "w").write("kind: model\\n")
    >>> _ = open(os.path.join(d, "other.yaml"), "w").write("a: 1\\n")
    >>> _ = open(os.path.join(d, ".hidden", "x.yaml"), "w").write("kind: model\\n")
    >>> [os.path.basename(s.path) for s in expand([d])]
    ['m.yaml']
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from .references import declares_kind
from .yamlload import DEFAULT_LIMITS, Limits

YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Source:
    """One input: a path, or standard input's bytes under a display name."""

    path: str
    data: bytes | None = None  # standard input
    origin: str = ""  # the folder it was found in, when a folder was walked

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))


def _excluded(path: str, excludes: Iterable[str]) -> bool:
    """Whether a walked path matches a glob: relative globs against the path from here or its name,
    absolute ones (from settings files, anchored at their folder) against the absolute path."""
    rel, full, name = os.path.relpath(path), os.path.abspath(path), os.path.basename(path)
    return any(fnmatch.fnmatch(full, g) if os.path.isabs(g) else (fnmatch.fnmatch(rel, g) or fnmatch.fnmatch(name, g))
               for g in excludes)


def _git_visible(folder: str) -> set[str] | None:
    """Files git does not ignore under `folder` (tracked or not), or None outside a git work tree."""
    import subprocess  # only when a folder is walked

    try:
        done = subprocess.run(["git", "-C", folder, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return {os.path.realpath(os.path.join(folder, p.decode("utf-8", "surrogateescape")))
            for p in done.stdout.split(b"\0") if p}


SAVED_SUFFIXES = (".keras", ".h5", ".hdf5")  # saved Keras models, for `audit` of a folder


def walk(folder: str, excludes: Iterable[str] = (), limits: Limits = DEFAULT_LIMITS,
         kinds: tuple[str, ...] = ("policy", "model"), saved: bool = False) -> list[str]:
    """Files under `folder`, sorted: YAML files that declare one of `kinds` (and saved models when `saved`);
    hidden folders and files, `exclude` globs and git-ignored files are skipped."""
    visible = _git_visible(folder)
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _excluded(os.path.join(root, d), excludes))
        for name in sorted(files):
            path = os.path.join(root, name)
            is_saved = saved and name.lower().endswith(SAVED_SUFFIXES)
            if not (is_saved or name.endswith(YAML_SUFFIXES)) or name.startswith(".") or _excluded(path, excludes):
                continue
            if visible is not None and os.path.realpath(path) not in visible:
                continue
            if is_saved or declares_kind(path, limits) in kinds:
                found.append(path)
    return found


class SourceError(ValueError):
    """A command line's paths that cannot be read as sources (standard input named twice)."""


def expand(paths: Iterable[str], *, excludes: Iterable[str] = (), stdin_name: str | None = None,
           limits: Limits = DEFAULT_LIMITS, kinds: tuple[str, ...] = ("policy", "model"),
           saved: bool = False) -> list[Source]:
    """The sources of a command line's paths: files as given (always: excludes only prune walks), folders walked,
    `-` read from standard input once (at most `limits.max_bytes` + 1 bytes: the loader refuses more)."""
    out: list[Source] = []
    excludes = tuple(excludes)
    read_stdin = False
    for p in paths:
        if p == "-":
            if read_stdin:
                raise SourceError("'-' (standard input) can be given once")
            read_stdin = True
            out.append(Source(stdin_name or "<stdin>", sys.stdin.buffer.read(limits.max_bytes + 1)))
        elif os.path.isdir(p):
            out.extend(Source(f, origin=p) for f in walk(p, excludes, limits, kinds, saved))
        else:
            out.append(Source(p))
    return out
