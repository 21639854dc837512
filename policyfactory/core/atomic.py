"""Every output file is written whole or not at all, and never over something it should not replace.

A temporary file in the same folder is renamed into place only when complete,
so a failed or refused run leaves an existing file exactly as it was. An output
that is a symbolic link, a directory, a FIFO, a device or another file that is
not regular, or one of the run's input files, is refused (a link may point
anywhere, even at the input; writing to a FIFO would block). Temporary files
are named `.policyfactory-PID-XXXX`; a run removes only the ones it created
itself (a file of that name that a killed run left, or that a user made, is
never deleted by a later run).

`build` marks the `.keras` files it writes with one small member,
`policyfactory-build.json` (`{"written_by": "policyfactory build"}`; Keras
ignores members it does not know, and `keras.saving.load_model` loads the
file as before). When `build` is about to replace a file under a name it chose
itself (beside the model file, or in an `-o` folder) it replaces only a file
carrying that mark: a model Keras saved again after training (or any other
file) has no mark, because Keras writes a new archive, so it is refused unless
the user asks with `--overwrite` or names the output with `-o`.

    >>> import os, tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report.txt")
    >>> with atomic_output(out) as tmp:
    ...     _ = open(tmp, "w").write("done")
    >>> open(out).read()
    'done'
"""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from .findings import Finding, InvalidInput
from .rules.tools import OUTPUT_PATH
from .safeio import kind_of, open_regular

PREFIX = ".policyfactory-"


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o777  # replacing a file keeps its permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


BUILD_MARKER = "policyfactory-build.json"
_MARK = b'{"written_by": "policyfactory build"}'


def mark_built(path: str) -> None:
    """Add `build`'s mark to the `.keras` archive at `path` (a temporary file not yet renamed into place)."""
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(BUILD_MARKER, _MARK)


def written_by_build(path: str) -> bool:
    """Whether `path` is a regular file that `build` wrote and nothing rewrote since (it carries the mark)."""
    try:
        with open_regular(path, follow=False) as fh, zipfile.ZipFile(fh) as zf:
            info = zf.getinfo(BUILD_MARKER)
            if info.file_size > len(_MARK):
                return False
            with zf.open(info) as member:
                return member.read(len(_MARK) + 1) == _MARK
    except (OSError, KeyError, ValueError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile,
            zlib.error):
        return False


def check_replace(path: str) -> None:
    """Refuse to replace an existing `path` that `build` did not write (`InvalidInput`, rule output-path)."""
    if os.path.lexists(path) and not written_by_build(path):
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH,
                                   "exists and was not written by build (a trained model?): refusing to replace it; "
                                   "write elsewhere with -o OTHER.keras, or pass --overwrite to replace it"))


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
    try:
        mode = os.lstat(target).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH, f"is {kind_of(mode)}, not a regular file: refusing to "
                                                              f"replace it (name a regular file)"))
    for given in inputs:
        if os.path.exists(target) and os.path.exists(given) and os.path.samefile(target, given):
            raise InvalidInput(Finding(path, 1, 1, OUTPUT_PATH,
                                       f"is the input file {given}: refusing to overwrite it (write to another file)"))
    return target


@contextmanager
def atomic_output(path: str, suffix: str = "", *, inputs: tuple[str, ...] = ()) -> Iterator[str]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    target = check_output(path, inputs=inputs)
    folder = os.path.dirname(target)
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
        if os.path.lexists(tmp):  # this run's own temporary file, never another's
            os.unlink(tmp)
