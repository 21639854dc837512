"""Results of `validate` kept between runs, for files whose check read nothing but the file itself.

Why: a pre-commit hook, an editor or a developer runs `validate` over the same
folder again and again, and most files have not changed since the last run.
Reading a file and comparing its SHA-256 with the one its stored result was
computed from costs a few microseconds; checking it again costs about a
millisecond. As ruff and mypy do, `validate` keeps its results (`--no-cache`,
or `POLICYFACTORY_NO_CACHE=1`, turns this off).

A stale "ok" would be worse than a slow run, so an entry is used only when
everything its result depends on is the same:

* **the run**: the cache format, the package's own files (the path, size,
  modification and change times and inode of every module and data file: the
  catalog, the built-in policies, the schemas; a copy that keeps times is still
  another inode and change time), the libraries whose words reach findings
  (PyYAML with or without libyaml, pydantic, pydantic_core: the same stamp of
  their files), the interpreter (its path, prefix and version), the working
  folder, the backend checked for, every setting and where it came from, and
  the check's arguments (`--policy`, limits, `--allow-outside`) make the run's
  key, and each key has its own store;
* **the file**: the SHA-256 of the bytes the check read;
* **nothing else**: a result is stored only when its check read no other file
  and followed no path (`core/safeio.py` records what a check reads; a
  `policy:` or `extends:` path, or a policy file named on the command line, is a
  dependency on other files, so such results are never stored: the built-in
  policies are the package's own files);
* and only when the stored form gives the same result back (findings compared
  field by field, their details included).

Where: `$POLICYFACTORY_CACHE_DIR` (an absolute path), else
`$XDG_CACHE_HOME/policyfactory`, else `~/.cache/policyfactory`: never inside the
project, so a store committed to a repository or planted by a pull request is
never read. A store that is not a regular file owned by this user and readable
by nobody else (as this module writes them: a file from a git checkout is
not), in a folder others cannot write, that is not the JSON this module writes
(each finding's fields of their types, a known rule, severity and category, no
control characters), or is larger than `MAX_STORE_BYTES` is ignored (and
replaced); it is read as JSON only, never unpickled. Stores are written whole
and renamed, readable by their owner only; the oldest are removed beyond
`MAX_STORES`.

    >>> store = Store("/no/such/folder", "a run's key")  # nothing stored yet: every file is checked
    >>> store.lookup("examples/shared_he_normal.yaml", 1 << 20) is None
    True
"""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from .findings import Finding
from .naming import sha256  # the interpreter's own SHA-256, as the seeds use (no OpenSSL at start-up)
from .records import fields
from .result import ValidationResult
from .ruletype import CATEGORIES
from .safeio import read_regular
from .text import escape

FORMAT = 1
MAX_STORE_BYTES = 64 << 20
MAX_STORES = 64  # run keys kept (working folders, settings, backends); the least recently written go first
MAX_ENTRIES = 50_000  # files per store
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FINDING_FIELDS = tuple(f.name for f in fields(Finding) if f.name != "fix")  # a fix is for --fix, never cached


def cache_dir(environ: Mapping[str, str] | None = None) -> str | None:
    """Where stores live, or None when caching is off (`POLICYFACTORY_NO_CACHE`) or there is no home.

        >>> cache_dir({"POLICYFACTORY_CACHE_DIR": "/tmp/pf"}), cache_dir({"XDG_CACHE_HOME": "/c", "HOME": "/h"})
        ('/tmp/pf', '/c/policyfactory')
        >>> cache_dir({"POLICYFACTORY_NO_CACHE": "1", "HOME": "/h"}), cache_dir({"POLICYFACTORY_CACHE_DIR": ".c"})
        (None, None)
    """
    env = os.environ if environ is None else environ
    if env.get("POLICYFACTORY_NO_CACHE", "") not in ("", "0"):
        return None
    if env.get("POLICYFACTORY_CACHE_DIR"):  # a relative one would put the store in whatever folder a run is in
        folder = env["POLICYFACTORY_CACHE_DIR"]
        return folder if os.path.isabs(folder) else None
    if env.get("XDG_CACHE_HOME") and os.path.isabs(env["XDG_CACHE_HOME"]):
        return os.path.join(env["XDG_CACHE_HOME"], "policyfactory")
    home = env.get("HOME") or ""
    return os.path.join(home, ".cache", "policyfactory") if os.path.isabs(home) else None


def package_stamp(folder: str = _PACKAGE) -> list[tuple]:
    """(path, size, modification and change times, inode) of every module and data file of the package: a changed
    install is a new run. The change time and the inode are set by the system, not by a copy that keeps times."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json", ".yaml")):
                out.append((os.path.relpath(os.path.join(root, name), folder), *_stamp(os.path.join(root, name))))
    return out


LIBRARIES = ("yaml", "pydantic", "pydantic_core")  # their parsers and messages reach findings


def library_stamp(names: tuple[str, ...] = LIBRARIES) -> list[tuple]:
    """Where each library is found and the stamp of its own files (not its subfolders): another version, or PyYAML
    without its C parser, is another run. Found as `import` would find it, without importing it."""
    from importlib.util import find_spec

    out: list[tuple] = []
    for name in names:
        try:
            spec = find_spec(name)
        except (ImportError, ValueError):
            spec = None
        folder = os.path.dirname(spec.origin) if spec is not None and spec.origin else None
        if folder is None:
            out.append((name, None))
            continue
        with os.scandir(folder) as entries:
            out.append((name, folder, sorted((e.name, *_stamp(e.path)) for e in entries if e.is_file())))
    return out


def _stamp(path: str) -> tuple[int, int, int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def run_key(parts: Mapping[str, Any]) -> str:
    """The run's key: the package, its libraries, the interpreter, the working folder, and `parts` (the settings,
    backend and arguments). `repr` of each part: a setting or an argument that differs in any way makes another key."""
    whole = {"format": FORMAT, "package": package_stamp(), "libraries": library_stamp(), "python": sys.version,
             "executable": sys.executable, "prefix": sys.prefix, "platform": sys.platform, "cwd": os.getcwd(),
             **{k: repr(v) for k, v in parts.items()}}
    return json.dumps(whole, sort_keys=True)


def digest(data: bytes) -> str:
    return sha256(data).hexdigest()


def self_contained(path: str, reads: Iterable[tuple[str | None, bytes | None]]) -> bytes | None:
    """The bytes a check read of `path` when it read nothing else (the package's own files aside), else None."""
    here = os.path.abspath(path)
    data: bytes | None = None
    for p, got in reads:
        if p is None:
            return None  # a dependency that is not a read
        full = os.path.abspath(p)
        if full.startswith(_PACKAGE + os.sep):
            continue
        if full != here:
            return None
        if got is not None:
            if data is not None and got != data:
                return None  # the file changed while it was being checked
            data = got
    return data


def result_to_json(result: Any) -> dict | None:
    """A `ValidationResult` as JSON data, or None when it cannot be stored exactly (its details are not JSON) or
    would not be read back (what `result_from_json` refuses is never written)."""
    out = {"kind": result.kind, "summary": result.summary, "judged": result.judged,
           "findings": [[getattr(f, k) for k in _FINDING_FIELDS] for f in result.findings]}
    try:
        back = json.loads(json.dumps(out))
    except (TypeError, ValueError):
        return None
    again = result_from_json(back)
    if again is None or not _same(result, again):
        return None
    return out


def result_from_json(data: Any) -> Any:
    """The `ValidationResult` stored as `data`, or None when `data` is not one (a damaged store)."""
    try:
        rows, kind, summary, judged = data["findings"], data["kind"], data["summary"], data["judged"]
        if not (isinstance(rows, list) and all(_well_typed(row) for row in rows) and isinstance(summary, str)
                and escape(summary) == summary and kind in KINDS and isinstance(judged, bool)):
            return None
        findings = [Finding(**dict(zip(_FINDING_FIELDS, row))) for row in rows]
    except (TypeError, KeyError, ValueError):  # not a store's: a rule this version does not know, a wrong shape
        return None
    return ValidationResult(findings, kind, summary, judged=judged)


_FIELD_TYPES: dict[str, type | tuple[type, ...]] = {
    "file": str, "line": int, "column": int, "rule": str, "message": str, "severity": str, "category": str,
    "data": dict, "help": str, "cell": (int, type(None))}


KINDS = (None, "policy", "model")


def _well_typed(row: Any) -> bool:
    """A stored finding: one value of the right type per field (`True` is no line number), a severity and category
    a finding can have (the rule is looked up when the finding is made)."""
    if not (isinstance(row, list) and len(row) == len(_FINDING_FIELDS)
            and all(isinstance(v, _FIELD_TYPES[k]) and not isinstance(v, bool) for k, v in zip(_FINDING_FIELDS, row))):
        return False
    values = dict(zip(_FINDING_FIELDS, row))
    return values["severity"] in ("error", "warning") and values["category"] in CATEGORIES


def _same(a: Any, b: Any) -> bool:
    """Two results alike in everything a report shows (every field of every finding, its details included)."""
    def rows(r: Any) -> list:
        return [[getattr(f, k) for k in _FINDING_FIELDS] for f in r.findings]

    return (a.kind, a.summary, a.judged, rows(a)) == (b.kind, b.summary, b.judged, rows(b))


class Store:
    """The stored results of one run key: `lookup` what is known, `add` what was checked, `save` at the end.

    Results are kept under the path as the command line gave it (findings name the file so), in the working
    folder that is part of the key."""

    def __init__(self, folder: str, key: str) -> None:
        self.folder = folder
        self.key = key
        self.path = os.path.join(folder, digest(key.encode())[:32] + ".json")
        self.entries: dict[str, list] = {}
        self.changed = False
        self._load()

    def _load(self) -> None:
        try:
            if not (_private(os.lstat(self.folder), folder=True) and _private(os.lstat(self.path))):
                return
            data = json.loads(read_regular(self.path, MAX_STORE_BYTES + 1, follow=False))
        except (OSError, ValueError, RecursionError):
            return
        if (isinstance(data, dict) and data.get("format") == FORMAT and data.get("key") == self.key
                and isinstance(data.get("entries"), dict) and len(data["entries"]) <= MAX_ENTRIES):
            self.entries = data["entries"]

    def lookup(self, path: str, limit: int) -> Any:
        """The result stored for `path` as it now is (at most `limit` bytes, a regular file), or None."""
        entry = self.entries.get(path)
        if not (isinstance(entry, list) and len(entry) == 2):
            return None
        try:
            data = read_regular(path, limit + 1)
        except OSError:
            return None
        if len(data) > limit or entry[0] != digest(data):
            return None
        return result_from_json(entry[1])

    def add(self, path: str, checked: str, result: Any) -> None:
        """Keep `result`, the check of `path` when it held the bytes whose digest is `checked`."""
        stored = result_to_json(result)
        if stored is not None:
            self.entries.pop(path, None)  # the newest last: the oldest go first beyond MAX_ENTRIES
            self.entries[path] = [checked, stored]
            self.changed = True

    def save(self) -> None:
        """Write the store (whole, then renamed) when something was added; a folder that cannot be written
        leaves the run as it was, without a cache."""
        if not self.changed:
            return
        if len(self.entries) > MAX_ENTRIES:
            self.entries = dict(list(self.entries.items())[-MAX_ENTRIES:])
        text = json.dumps({"format": FORMAT, "key": self.key, "entries": self.entries}, separators=(",", ":"))
        try:
            os.makedirs(self.folder, mode=0o700, exist_ok=True)
            if _private(os.lstat(self.folder), folder=True):
                _write_private(self.path, text.encode("utf-8"))
                _prune(self.folder)
        except OSError:
            return


def _write_private(path: str, data: bytes) -> None:
    """Write `path` whole, then rename it into place: readable by its owner only from the start (a store holds
    findings about the user's files). Not core/atomic.py's writer, which keeps a user's output file's permissions
    and imports `tempfile` for it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def _private(st: os.stat_result, folder: bool = False) -> bool:
    """A folder of stores this user owns and nobody else may write, or a store as this module writes it: this
    user's, and nobody else's to read or write (a store committed to git comes back 0644, and is not read)."""
    kind = stat.S_ISDIR(st.st_mode) if folder else stat.S_ISREG(st.st_mode)
    owner = not hasattr(os, "geteuid") or st.st_uid == os.geteuid()
    others = (stat.S_IWGRP | stat.S_IWOTH) if folder else 0o077
    return kind and owner and not st.st_mode & others


def _prune(folder: str) -> None:
    """Keep the MAX_STORES stores written last; remove what a run that was killed while writing left (an hour on)."""
    import time

    stores = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False):
                continue
            mtime = entry.stat(follow_symlinks=False).st_mtime_ns
            if entry.name.endswith(".json"):
                stores.append((mtime, entry.path))
            elif entry.name.endswith(".tmp") and time.time_ns() - mtime > 3600 * 10**9:
                os.unlink(entry.path)
    for _, path in sorted(stores)[:-MAX_STORES]:
        os.unlink(path)
