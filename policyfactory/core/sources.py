"""Which files a command reads: paths, folders walked like a linter, and standard input.

Why: users run `policyfactory validate models/` or feed a file through a pipe,
as they do with ruff and yamllint. A folder is walked recursively for
`*.yaml`/`*.yml` files that declare `kind: policy` or `kind: model` (others
are skipped), and for `validate` Python sources and notebooks (`*.py`, `*.ipynb`);
hidden folders and, inside a git work tree, git-ignored files
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
import stat
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .records import record

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec

from .limits import DEFAULT_LIMITS, Limits
from .references import PYTHON_SUFFIXES, declares_kind, nearest_above, project_root
from .safeio import kind_of, read_regular

YAML_SUFFIXES = (".yaml", ".yml")


@record(frozen=True)
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


class _GitIgnore:
    """git's ignore rules for one work tree, matched in Python (`pathspec.GitIgnoreSpec`): git is never run.

    Running `git` in a folder someone else wrote runs that folder's configuration
    (`core.fsmonitor = <command>` in `.git/config` is a command git starts), so a
    walk reads the rules as text instead: `.git/info/exclude`, then every
    `.gitignore` from the top of the work tree down to the file's folder, a
    deeper file winning over a shallower one, the last matching line of a file
    winning within it, as git does. A folder that is ignored is not entered (git
    cannot re-include a file below it either). Unlike `git ls-files`, a file
    that is tracked although a pattern matches it is skipped too: the index is
    not read. The user's global excludes file (`core.excludesFile`) is not read.
    """

    def __init__(self, top: str):
        self.top = top
        self._specs: dict[str, Any] = {}
        self._exclude = _spec(_read_text(os.path.join(_common_dir(top), "info", "exclude")))

    def _folder_spec(self, folder: str) -> GitIgnoreSpec | None:
        if folder not in self._specs:
            self._specs[folder] = _spec(_read_text(os.path.join(folder, ".gitignore")))
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool) -> bool:
        """Whether git ignores `path` (a real path inside the work tree)."""
        rel = os.path.relpath(path, self.top)
        if rel == "." or rel.startswith(".." + os.sep):
            return False
        tail = "/" if is_dir else ""
        verdict = None
        checks = [(self._exclude, self.top)]
        folder = self.top
        for part in rel.split(os.sep)[:-1]:
            checks.append((self._folder_spec(folder), folder))
            folder = os.path.join(folder, part)
        checks.append((self._folder_spec(folder), folder))
        for spec, base in checks:
            if spec is not None:
                hit = spec.check_file(os.path.relpath(path, base).replace(os.sep, "/") + tail).include
                if hit is not None:
                    verdict = hit
        return bool(verdict)

    def inside_ignored(self, folder: str) -> bool:
        """Whether `folder` or a folder between it and the top is ignored (then nothing in it is walked)."""
        current = folder
        while current != self.top and current.startswith(self.top.rstrip(os.sep) + os.sep):
            if self.ignored(current, True):
                return True
            current = os.path.dirname(current)
        return False


MAX_IGNORE_BYTES = 1 << 20  # a .gitignore or info/exclude larger than this is not read


def _read_text(path: str) -> str | None:
    """A small regular file's text (no symbolic link: git does not follow a linked .gitignore either)."""
    try:
        return read_regular(path, MAX_IGNORE_BYTES, follow=False).decode("utf-8", "replace")
    except OSError:
        return None


def _spec(text: str | None) -> GitIgnoreSpec | None:
    """The GitIgnoreSpec of a file's lines; a line git would not accept as a pattern is left out."""
    if not text:
        return None
    import pathspec  # only when a folder is walked

    lines = text.splitlines()
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # one bad pattern: keep the others, as git does
        good = []
        for line in lines:
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except Exception:
                continue
            good.append(line)
        return pathspec.GitIgnoreSpec.from_lines(good)


def _common_dir(top: str) -> str:
    """The git directory holding `info/exclude`: `.git`, or for a linked work tree (a `.git` file), its common dir."""
    dot_git = os.path.join(top, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    text = _read_text(dot_git) or ""
    if not text.startswith("gitdir:"):
        return dot_git
    gitdir = os.path.join(top, text[len("gitdir:"):].strip())
    common = (_read_text(os.path.join(gitdir, "commondir")) or "").strip()
    return os.path.join(gitdir, common) if common else gitdir


def _work_tree(folder: str) -> str | None:
    """The top of the git work tree holding `folder` (a real path), or None outside one."""
    return nearest_above(folder, (".git",))


def _skip_reason(path: str) -> str | None:
    """Why a walked file is not opened: a symbolic link that leaves the project, or not a regular file."""
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            root = project_root(os.path.dirname(os.path.abspath(path)))
            real = os.path.realpath(path)
            if not (real == root or real.startswith(root.rstrip(os.sep) + os.sep)):
                return f"a symbolic link that leaves the project ({root}): not followed"
            st = os.stat(path)
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return f"{kind_of(st.st_mode)}, not a regular file: not opened"
    return None


SAVED_SUFFIXES = (".keras", ".h5", ".hdf5")  # saved Keras models, for `audit` of a folder


def walk(folder: str, excludes: Iterable[str] = (), limits: Limits = DEFAULT_LIMITS,
         kinds: tuple[str, ...] = ("policy", "model"), saved: bool = False,
         skipped: list[tuple[str, str]] | None = None, python: bool = False) -> list[str]:
    """Files under `folder`, sorted: YAML files that declare one of `kinds` (and saved models when `saved`,
    Python sources and notebooks when `python`);
    hidden folders and files, `exclude` globs and git-ignored files are skipped. Symbolic links to folders
    are not entered; a file that is a symbolic link leaving the project, a FIFO, a device or a socket is
    never opened: it is added to `skipped` as (path, why)."""
    real_top = os.path.realpath(folder)
    tree = _work_tree(real_top)
    top_rules = _GitIgnore(tree) if tree is not None else None
    if top_rules is not None and top_rules.inside_ignored(real_top):
        top_rules = None  # a folder named on the command line is read even where git ignores it (a venv's package)
    rules: dict[str, _GitIgnore | None] = {real_top: top_rules}
    found = []
    for root, dirs, files in os.walk(folder):
        real_root = os.path.normpath(os.path.join(real_top, os.path.relpath(root, folder)))
        git = rules[real_root]
        if real_root != real_top and os.path.lexists(os.path.join(real_root, ".git")):
            git = rules[real_root] = _GitIgnore(real_root)  # a nested repository follows its own rules
        dirs[:] = [d for d in sorted(dirs) if _enter(os.path.join(root, d), real_root, excludes, git, rules)]
        for name in sorted(files):
            path = os.path.join(root, name)
            taken = _taken(name, saved, python)  # True: read whatever it holds; None: only if it declares a kind
            if taken is False or not _visible(path, real_root, excludes, git, False):
                continue
            why = _skip_reason(path)
            if why is not None:
                if skipped is not None:
                    skipped.append((path, why))
                continue
            if taken or declares_kind(path, limits) in kinds:
                found.append(path)
    return found


def _taken(name: str, saved: bool, python: bool) -> bool | None:
    """Whether a walk reads a file by its name: saved models and Python sources always (True), YAML files
    when they declare a kind (None), anything else never (False)."""
    if (saved and name.lower().endswith(SAVED_SUFFIXES)) or (python and name.endswith(PYTHON_SUFFIXES)):
        return True
    return None if name.endswith(YAML_SUFFIXES) else False


def _visible(path: str, real_root: str, excludes: Iterable[str], git: _GitIgnore | None, is_dir: bool) -> bool:
    """Not hidden, not excluded by a glob, not ignored by git."""
    name = os.path.basename(path)
    return not (name.startswith(".") or _excluded(path, excludes)
                or (git is not None and git.ignored(os.path.join(real_root, name), is_dir)))


def _enter(path: str, real_root: str, excludes: Iterable[str], git: _GitIgnore | None,
           rules: dict[str, _GitIgnore | None]) -> bool:
    """Whether a walk enters a folder (never one behind a symbolic link); its git rules are noted if so."""
    if os.path.islink(path) or not _visible(path, real_root, excludes, git, True):
        return False
    rules[os.path.join(real_root, os.path.basename(path))] = git
    return True


class SourceError(ValueError):
    """A command line's paths that cannot be read as sources (standard input named twice)."""


def expand(paths: Iterable[str], *, excludes: Iterable[str] = (), stdin_name: str | None = None,
           limits: Limits = DEFAULT_LIMITS, kinds: tuple[str, ...] = ("policy", "model"),
           saved: bool = False, skipped: list[tuple[str, str]] | None = None, python: bool = False) -> list[Source]:
    """The sources of a command line's paths: files as given (always: excludes only prune walks), folders walked,
    `-` read from standard input once (at most `limits.max_bytes` + 1 bytes: the loader refuses more).
    Files a walk does not open are added to `skipped` as (path, why), for the caller to warn about."""
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
            out.extend(Source(f, origin=p) for f in walk(p, excludes, limits, kinds, saved, skipped, python))
        else:
            out.append(Source(p))
    return out
