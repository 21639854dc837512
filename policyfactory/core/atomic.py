"""Every output file is written whole or not at all, and never over something it should not replace.

A temporary file in the same folder is renamed into place only when complete,
so a failed or refused run leaves an existing file exactly as it was. An output
that is a symbolic link, a directory or one of the run's input files is refused
(a link may point anywhere, even at the input). Temporary files carry the writer's process id
(`.policyfactory-PID-XXXX`), so the ones a killed run left behind are
recognised and removed by the next run in that folder.

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.txt")
    >>> with atomic_output(out) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(out).read()
    'done'
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from .findings import Finding, InvalidInput
from .rules.tools import OUTPUT_PATH

PREFIX = ".policyfactory-"
_OURS = re.compile(re.escape(PREFIX) + r"(\d+)-")


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777  # replacing a file keeps its permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(folder: str) -> list[str]:
    """Remove temporary files our naming scheme identifies whose writing process is gone; return their names."""
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _OURS.match(name)
        path = os.path.join(folder, name)
        if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))) and os.path.isfile(path) \
                and not os.path.islink(path):
            try:
                os.unlink(path)
                removed.append(name)
            except OSError:
                pass
    return removed


def check_output(path: str, *, inputs: tuple[str, ...] = ()) -> str:
    """The file to write for output `path`, or `InvalidInput` when it must not be written."""
    if os.path.islink(path):
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH,
                                   f"is a symbolic link to {os.path.realpath(path)}: refusing to replace it "
                                   f"(name the file itself with -o)"))
    target = os.path.abspath(path)
    if os.path.isdir(target):
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH, "is a directory: name an output file"))
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH, f"no such folder: {folder}"))
    for given in inputs:
        if os.path.exists(target) and os.path.exists(given) and os.path.samefile(target, given):
            raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH,
                                       f"is the input file {given}: refusing to overwrite it (choose another output with -o)"))
    return target


@contextmanager
def atomic_output(path: str, suffix: str = "", *, inputs: tuple[str, ...] = ()) -> Iterator[str]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    target = check_output(path, inputs=inputs)
    folder = os.path.dirname(target)
    remove_stale(folder)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{PREFIX}{os.getpid()}-", suffix=suffix, dir=folder)
    except OSError as exc:
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH, f"cannot write in {folder}: {exc.strerror or exc}")) from None
    os.close(fd)
    os.chmod(tmp, _mode_for(target))  # mkstemp makes 0600; the result should look like any file the user writes
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH, f"cannot write: {exc.strerror or exc}")) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
